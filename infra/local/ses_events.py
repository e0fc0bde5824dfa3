"""SES's sending events on this machine. moto's SES sends nothing to EventBridge, so the runtime's
``POST /_local/ses-event`` puts the event SES would publish (a delivery, a bounce, a complaint: the shape
of reference B8, with the message tags we send with) on the account's default bus; the rule the declaration
gives webhook_receipt for ``aws.ses`` events takes it from there, as in AWS."""

from __future__ import annotations

import json
from typing import Any

import boto3

from switchboard import clock

KINDS = {"Email Delivered": "Delivery", "Email Bounced": "Bounce", "Email Complaint Received": "Complaint"}


def detail_of(detail_type: str, ses_message_id: str, recipient: str, tenant_id: str, channel_id: str,
              source: str = "") -> dict[str, Any]:
    kind = KINDS[detail_type]
    now = clock.iso(clock.now())
    detail: dict[str, Any] = {"eventType": kind, "mail": {
        "timestamp": now, "source": source, "messageId": ses_message_id, "destination": [recipient],
        "headersTruncated": False, "headers": [],
        "tags": {"tenant_id": [tenant_id], "channel_id": [channel_id], "ses:operation": ["SendEmail"]}}}
    if kind == "Delivery":
        detail["delivery"] = {"timestamp": now, "recipients": [recipient], "smtpResponse": "250 2.0.0 OK"}
    elif kind == "Bounce":
        detail["bounce"] = {"bounceType": "Permanent", "bounceSubType": "General", "timestamp": now,
                            "feedbackId": f"local-{ses_message_id}",
                            "bouncedRecipients": [{"emailAddress": recipient, "action": "failed", "status": "5.1.1",
                                                   "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]}
    else:
        detail["complaint"] = {"complainedRecipients": [{"emailAddress": recipient}], "timestamp": now,
                               "complaintFeedbackType": "abuse"}
    return detail


def publish(payload: dict[str, Any]) -> dict[str, Any]:
    """``{"type": "Email Bounced", "message_id": <SES id>, "recipient": ..., "tenant_id"?, "channel_id"?}``"""
    detail_type = payload.get("type", "Email Bounced")
    if detail_type not in KINDS:
        raise ValueError(f"type must be one of {sorted(KINDS)}")
    detail = detail_of(detail_type, str(payload["message_id"]), str(payload.get("recipient", "")),
                       str(payload.get("tenant_id", "demo")), str(payload.get("channel_id", "mail-demo")))
    answer = boto3.client("events").put_events(Entries=[{
        "Source": "aws.ses", "DetailType": detail_type, "Detail": json.dumps(detail), "EventBusName": "default"}])
    return {"published": answer.get("FailedEntryCount", 0) == 0, "type": detail_type}
