"""A message's provider payload as stored: inline JSON while the message item stays within one write
unit (1 KB), zlib-compressed binary (``raw_z``) when inline text would push the item past it. DynamoDB
bills a write per started KB of the whole item, twice in a transaction, and the payload repeats what
``text`` and ``content`` hold already (docs/performance.md, "Cost per inbound message")."""

from __future__ import annotations

import json
import zlib
from typing import Any

from boto3.dynamodb.types import Binary

RAW, RAW_COMPRESSED = "raw", "raw_z"
WRITE_UNIT_BYTES = 1024


def _size(item: dict[str, Any]) -> int:
    """About the item's size by DynamoDB's rules (names plus values); JSON's quotes and commas make it a
    slight overestimate, the safe side."""
    return len(json.dumps(item, default=str, separators=(",", ":")).encode())


def with_payload(item: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """``item`` with the payload stored the cheaper way."""
    text = json.dumps(payload, separators=(",", ":"))
    inline = {**item, RAW: text}
    if _size(inline) <= WRITE_UNIT_BYTES:
        return inline
    packed = zlib.compress(text.encode(), 9)
    return {**item, RAW_COMPRESSED: Binary(packed)} if len(packed) < len(text) else inline


def payload_of(item: dict[str, Any]) -> dict[str, Any] | None:
    """The provider payload of a stored message, however it was stored."""
    if item.get(RAW) is not None:
        return json.loads(item[RAW])
    packed = item.get(RAW_COMPRESSED)
    if packed is None:
        return None
    return json.loads(zlib.decompress(packed.value if isinstance(packed, Binary) else bytes(packed)))
