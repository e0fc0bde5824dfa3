"""Signatures of outgoing webhooks: ``Switchboard-Signature: sha256=<hex HMAC-SHA256(secret,
"<timestamp>.<raw body>")>``, with ``Switchboard-Timestamp`` (Unix seconds) and ``Switchboard-Delivery``
(the same on every retry of one delivery)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE = "Switchboard-Signature"
TIMESTAMP = "Switchboard-Timestamp"
DELIVERY = "Switchboard-Delivery"
EVENT = "Switchboard-Event"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(secret: str, timestamp: int, body: bytes, delivery_id: str, event_type: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "User-Agent": "Switchboard-Webhooks/1",
            SIGNATURE: signature(secret, timestamp, body), TIMESTAMP: str(timestamp), DELIVERY: delivery_id,
            EVENT: event_type}


def verify(secret: str, timestamp: str, body: bytes, header: str, now: float, tolerance_s: int = 300) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent (replays are refused)."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, sent_at, body), header)
