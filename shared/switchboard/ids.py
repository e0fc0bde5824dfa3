"""Identifiers: time-ordered, URL-safe, 26 characters (a ULID in Crockford base32)."""

from __future__ import annotations

import hashlib
import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(at_ms: int | None = None) -> str:
    """A ULID: 48 bits of milliseconds then 80 random bits, so ids sort by creation time."""
    ms = int(time.time() * 1000) if at_ms is None else at_ms
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def stable_id(*parts: str) -> str:
    """An id of the same shape as ``new_id`` derived from ``parts``: the same parts give the same id (the
    imported history's sessions and messages, so a redelivery writes the same keys)."""
    value = int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:17], "big") >> 6
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))
