"""webhook_receipt's part for email: verify, validate, queue. Nothing is parsed beyond the headers.

- Mailgun's raw-MIME route (POST /webhooks/email/{channel_id}): the form's ``body-mime``, signed with
  HMAC-SHA256(signing key, timestamp + token). Stale timestamps and replayed tokens are refused; the raw
  message goes to the media bucket (``<tenant>/email/raw/<sha256>.eml``) and an ``email`` event onto the
  inbound FIFO queue (group: channel + sender; deduplication: the Message-ID, else the SHA-256).
- SES inbound (receipt rule -> S3 under ``email-in/<tenant>/<channel_id>/``; the bucket's "Object
  Created" event reaches us through EventBridge): the same ``email`` event for the stored object.
- SES sending events (EventBridge, source ``aws.ses``): an ``email_status`` event, found by the tags
  we set when sending (tenant_id, channel_id).
"""

from __future__ import annotations

import hashlib
import hmac
import urllib.parse
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses
from typing import Any

from switchboard.storage.channels import channel_secrets
from switchboard import clock
from switchboard.clients.sqs import OutgoingMessage
from switchboard.domain.channels import Channel, addressed_to
from switchboard.email.ses_events import SES_DETAIL_TYPES
from switchboard.email.mime import message_ids
from switchboard.errors import BadSignature, NotAcceptable, QueueUnavailable
from switchboard.services import Services
from switchboard.storage.dynamo import StorageUnavailable
from switchboard.storage.email import EmailStore, raw_key
from switchboard.storage.media import MediaStore
from switchboard.domain.inbound_queue import EmailEvent

MAX_MIME_BYTES = 5 * 1024 * 1024  # API Gateway and Lambda's 6 MB payload, base64 included; larger mail: SES
MAX_TIMESTAMP_AGE_S = 300
TOKEN_TTL_S = 24 * 3600
SES_INBOUND_PREFIX = "email-in/"


@dataclass(frozen=True)
class EmailReceipt:
    queued: int
    s3_key: str | None = None


def mailbox_signing_key(channel: Channel) -> str:
    """The mailbox's Mailgun webhook signing key, from its secret (cached by Powertools Parameters)."""
    key = channel_secrets(channel).get("mailgun_signing_key")
    if not key:
        raise BadSignature("the mailbox has no signing key")
    return str(key)


def form_fields(body: bytes, content_type: str) -> dict[str, bytes]:
    """A multipart/form-data or urlencoded body as fields -> bytes, with the standard library."""
    if content_type.lower().startswith("multipart/form-data"):
        message = BytesParser(policy=policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
        fields: dict[str, bytes] = {}
        if not message.is_multipart():
            return fields
        for part in message.iter_parts():  # type: ignore[attr-defined]
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            inner = part.get_payload()
            if payload is None and isinstance(inner, list) and inner:  # a file part typed message/rfc822
                payload = inner[0].as_bytes()
            if name and isinstance(payload, bytes):
                fields.setdefault(str(name), payload)
        return fields
    # urlencoded: latin-1 round-trips every percent-decoded byte exactly
    pairs = urllib.parse.parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    found: dict[str, bytes] = {}
    for name, value in pairs:
        found.setdefault(name, value.encode("latin-1"))
    return found


def _text(fields: dict[str, bytes], name: str) -> str:
    return fields.get(name, b"").decode("utf-8", "replace").strip()


def verify_mailgun(fields: dict[str, bytes], signing_key: str, now_s: float) -> str:
    """Check the signature (constant time) and the timestamp's age; return the token."""
    timestamp, token, signature = _text(fields, "timestamp"), _text(fields, "token"), _text(fields, "signature")
    if not (timestamp and token and signature):
        raise BadSignature("signature, timestamp and token are required", missing=True)
    expected = hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise BadSignature("the signature does not match")
    try:
        age = abs(now_s - float(timestamp))
    except ValueError as exc:
        raise BadSignature("the timestamp is not a number") from exc
    if age > MAX_TIMESTAMP_AGE_S:
        raise BadSignature("the timestamp is stale")
    return token


def _claim_token(services: Services, tenant_id: str, token: str) -> None:
    expires = int(clock.now().timestamp()) + TOKEN_TTL_S
    if not EmailStore(services.table).claim_webhook_token(tenant_id, token, expires):
        raise BadSignature("the token was used before (a replay)")


def _release_token(services: Services, tenant_id: str, token: str) -> None:
    EmailStore(services.table).release_webhook_token(tenant_id, token)


def _sender_and_id(raw: bytes) -> tuple[str, str | None]:
    """From and Message-ID, from the headers only."""
    headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    sender = "unknown"
    try:
        from_header = headers.get("From")
        addresses = [a.addr_spec for a in from_header.addresses] if from_header is not None else []
        sender = addresses[0].lower() if addresses and addresses[0] else sender
    except (ValueError, TypeError, IndexError, AttributeError):
        pass
    try:
        found = message_ids(str(headers.get("Message-ID") or ""))
    except (ValueError, TypeError, IndexError, AttributeError):
        found = []
    # Undecodable header bytes come back as lone surrogates, which JSON (the queue's body) cannot carry.
    return _printable(sender), (_printable(found[0]) if found else None)


_ENVELOPE_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "X-Forwarded-To")


def _recipients(fields: dict[str, bytes], raw: bytes) -> list[str]:
    """Who the mail was delivered to: Mailgun's ``recipient`` (the envelope's, so a Bcc to us counts), or,
    when the post has none, the addresses of the mail's To, Cc and delivery headers."""
    if recipient := _text(fields, "recipient"):
        return [address for _, address in getaddresses([recipient]) if address]
    try:
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
        values = [str(v) for name in _ENVELOPE_HEADERS for v in headers.get_all(name) or []]
        return [address for _, address in getaddresses(values) if address]
    except (ValueError, TypeError, IndexError, AttributeError):
        return []  # headers nobody can read name no mailbox of ours


def _printable(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")


def _email_event(channel: Channel, s3_key: str, sha256: str, sender: str, message_id: str | None,
                 source: str, size: int) -> EmailEvent:
    return EmailEvent(
        kind="email", tenant_id=channel.tenant_id, channel_id=channel.channel_id,
        event_id=message_id or sha256, group=f"{channel.channel_id}:{sender}", 
        received_at=clock.iso(clock.now()),
        payload={"s3_key": s3_key, "sha256": sha256, "source": source, "size": size,
                 "received_at": clock.iso(clock.now())})


def _queue(services: Services, event: EmailEvent) -> None:
    services.inbound_queue.send_all([OutgoingMessage(event.body(), event.group_id,
                                                     event.dedup_id)])


def receive_mailgun(channel_id: str, body: bytes, content_type: str, services: Services) -> EmailReceipt:
    """Verify (401 missing, 403 wrong/stale/replayed), validate (406: never acceptable), store, queue."""
    channel = services.channels.by_id(channel_id)
    if channel is None or channel.kind != "email" or channel.disabled:
        raise NotAcceptable("no mailbox with this id")
    if len(body) > MAX_MIME_BYTES + 64 * 1024:
        raise NotAcceptable("the message is larger than this route accepts; route large mail through SES")
    fields = form_fields(body, content_type)
    token = verify_mailgun(fields, mailbox_signing_key(channel), clock.now().timestamp())
    raw = fields.get("body-mime")
    if not raw:
        raise NotAcceptable("body-mime is missing: point the Mailgun route at a URL ending in 'mime'")
    if len(raw) > MAX_MIME_BYTES:
        raise NotAcceptable("the message is larger than this route accepts; route large mail through SES")
    if not addressed_to(channel, _recipients(fields, raw)):
        raise NotAcceptable("the mail is not addressed to this mailbox or one of its aliases")
    _claim_token(services, channel.tenant_id, token)
    try:
        sha256 = hashlib.sha256(raw).hexdigest()
        key = raw_key(channel.tenant_id, sha256)
        try:
            MediaStore(services.table, services.settings.need("media_bucket_name")).put(key, raw, "message/rfc822")
        except StorageUnavailable as exc:
            raise QueueUnavailable("the message could not be stored") from exc
        sender, message_id = _sender_and_id(raw)
        _queue(services, _email_event(channel, key, sha256, sender, message_id, "mailgun", len(raw)))
    except QueueUnavailable:
        _release_token(services, channel.tenant_id, token)
        raise
    return EmailReceipt(queued=1, s3_key=key)


def receive_aws_event(event: dict[str, Any], services: Services) -> dict[str, Any]:
    """An EventBridge event from the default bus: mail SES stored in S3, or an SES sending event.
    Anything else is ignored (and said so); a failure to queue raises, so EventBridge retries."""
    source, detail = event.get("source"), event.get("detail") or {}
    if source == "aws.s3" and event.get("detail-type") == "Object Created":
        return {"queued": _receive_ses_object(detail, services)}
    if source == "aws.ses" and event.get("detail-type") in SES_DETAIL_TYPES:
        return {"queued": _receive_ses_event(detail, str(event.get("region") or ""), services)}
    return {"queued": 0, "ignored": f"{source}/{event.get('detail-type')}"}


def _receive_ses_object(detail: dict[str, Any], services: Services) -> int:
    bucket = (detail.get("bucket") or {}).get("name")
    key = str((detail.get("object") or {}).get("key") or "")
    if bucket != services.settings.need("media_bucket_name") or not key.startswith(SES_INBOUND_PREFIX):
        return 0
    parts = key[len(SES_INBOUND_PREFIX):].split("/")
    if len(parts) != 3 or not all(parts):
        return 0
    tenant_id, channel_id, ses_message_id = parts
    channel = services.channels.by_id(channel_id)
    if channel is None or channel.tenant_id != tenant_id or channel.kind != "email":
        return 0
    size = int((detail.get("object") or {}).get("size") or 0)
    _queue(services, _email_event(channel, key, "", f"ses:{ses_message_id}", f"ses:{ses_message_id}",
                                  "ses", size))
    return 1


def _receive_ses_event(detail: dict[str, Any], region: str, services: Services) -> int:
    mail = detail.get("mail") or {}
    tags = mail.get("tags") or {}
    tenant_id = next(iter(tags.get("tenant_id") or []), None)
    channel_id = next(iter(tags.get("channel_id") or []), None)
    ses_id = mail.get("messageId")
    if not (tenant_id and channel_id and ses_id):
        return 0  # not sent by Switchboard
    channel = services.channels.by_id(str(channel_id))
    if channel is None or channel.tenant_id != tenant_id:
        return 0
    kind = str(detail.get("eventType") or detail.get("notificationType") or "")
    payload = {k: v for k, v in detail.items() if k != "mail"}
    payload["mail"] = {k: mail.get(k) for k in ("messageId", "timestamp", "destination", "source")}
    payload["region"] = region
    _queue(services, EmailEvent(kind="email_status", tenant_id=str(tenant_id), channel_id=str(channel_id),
                                 event_id=f"{ses_id}:{kind}", group=f"{channel_id}:ses:{ses_id}",
                                 received_at=clock.iso(clock.now()),
                                 payload=payload))
    return 1
