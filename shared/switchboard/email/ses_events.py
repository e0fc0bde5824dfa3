"""The SES sending events we take from EventBridge (their ``detail-type``); a module of its own so a
handler can name its entries without importing the receipt's work."""

SES_DETAIL_TYPES = ("Email Sent", "Email Delivered", "Email Bounced", "Email Complaint Received",
                    "Email Rejected", "Email Delivery Delayed")
