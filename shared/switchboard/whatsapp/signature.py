"""X-Hub-Signature-256: HMAC-SHA256 of the raw request bytes, keyed with the app secret."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(raw: bytes, app_secret: str) -> str:
    return PREFIX + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()


def is_valid(raw: bytes, header: str, app_secret: str) -> bool:
    if not header.startswith(PREFIX):
        return False
    expected = hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len(PREFIX):].strip().lower())
