"""Mail as Mailgun posts it (raw-MIME route, signed form) and as SES reports it (EventBridge events)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import time
import uuid
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from switchboard import clock

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "email"
DEMO_MAILBOX = "support@demo.switchboard.local"
DEMO_MAILGUN_KEY = "demo-mailgun-signing-key"
_counter = itertools.count(1)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def mail(sender: str = "Alice Customer <alice@example.com>", to: str = DEMO_MAILBOX, cc: str | None = None,
         subject: str = "Where is my order?", text: str = "Hello, where is my order?",
         message_id: str | None = None, in_reply_to: str | None = None, references: list[str] | None = None,
         html: str | None = None, headers: dict[str, str] | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = f"<{message_id or f'test.{next(_counter)}.{uuid.uuid4().hex[:8]}@example.com'}>"
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        message["References"] = " ".join(f"<{r}>" for r in references)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


def signature(key: str, timestamp: str, token: str) -> str:
    return hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()


def signed_fields(raw: bytes | None, key: str = DEMO_MAILGUN_KEY, timestamp: int | None = None,
                  token: str | None = None) -> dict[str, bytes]:
    stamp = str(int(clock.now().timestamp()) if timestamp is None else timestamp)
    token = token or uuid.uuid4().hex + uuid.uuid4().hex[:18]
    fields = {"timestamp": stamp.encode(), "token": token.encode(),
              "signature": signature(key, stamp, token).encode(), "recipient": DEMO_MAILBOX.encode()}
    if raw is not None:
        fields["body-mime"] = raw
    return fields


def multipart_form(fields: dict[str, bytes]) -> tuple[bytes, dict[str, str]]:
    boundary = f"----mailgun{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n".encode() + value
                     + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def urlencoded_form(fields: dict[str, bytes]) -> tuple[bytes, dict[str, str]]:
    return urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded"}


def mailgun_post(raw: bytes | None, **kwargs: Any) -> tuple[bytes, dict[str, str]]:
    return multipart_form(signed_fields(raw, **kwargs))


def ses_event(detail_type: str, ses_message_id: str, tenant_id: str = "demo", channel_id: str = "mail-demo",
              recipient: str = "alice@example.com", bounce_type: str = "Permanent",
              diagnostic: str = "smtp; 550 5.1.1 user unknown") -> dict[str, Any]:
    event_type = {"Email Delivered": "Delivery", "Email Bounced": "Bounce",
                  "Email Complaint Received": "Complaint", "Email Sent": "Send"}[detail_type]
    detail: dict[str, Any] = {
        "eventType": event_type,
        "mail": {"timestamp": "2026-11-21T06:00:00.000Z", "source": DEMO_MAILBOX, "messageId": ses_message_id,
                 "destination": [recipient], "headersTruncated": False, "headers": [],
                 "tags": {"tenant_id": [tenant_id], "channel_id": [channel_id], "ses:operation": ["SendEmail"]}},
    }
    if event_type == "Delivery":
        detail["delivery"] = {"timestamp": "2026-11-21T06:00:02.000Z", "recipients": [recipient],
                              "processingTimeMillis": 2000, "smtpResponse": "250 ok", "reportingMTA": "a.b"}
    if event_type == "Bounce":
        detail["bounce"] = {"bounceType": bounce_type, "bounceSubType": "General",
                            "bouncedRecipients": [{"emailAddress": recipient, "action": "failed",
                                                   "status": "5.1.1", "diagnosticCode": diagnostic}],
                            "timestamp": "2026-11-21T06:00:03.000Z", "feedbackId": "f-1"}
    if event_type == "Complaint":
        detail["complaint"] = {"complainedRecipients": [{"emailAddress": recipient}],
                               "complaintFeedbackType": "abuse", "timestamp": "2026-11-21T06:00:04.000Z"}
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": detail_type, "source": "aws.ses",
            "account": "000000000000", "time": "2026-11-21T06:00:05Z", "region": "eu-west-1", "resources": [],
            "detail": detail}


def s3_object_created(bucket: str, key: str, size: int) -> dict[str, Any]:
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Object Created", "source": "aws.s3",
            "account": "000000000000", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": "eu-west-1",
            "resources": [f"arn:aws:s3:::{bucket}"],
            "detail": {"version": "0", "bucket": {"name": bucket},
                       "object": {"key": key, "size": size, "etag": "e"}, "reason": "PutObject"}}
