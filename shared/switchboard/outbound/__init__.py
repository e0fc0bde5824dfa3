"""Outbound messages: what an operator (or a campaign) sends, checked against the rules, stored as
``queued``, put on the outbound queue, and sent by the worker through the Graph API (or SES), at the
channel's throughput, exactly once. See docs/sending.md."""
