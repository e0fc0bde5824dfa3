"""Opaque cursors: the LastEvaluatedKey of a query, base64-encoded JSON, checked against the partition
being read so that a cursor from another tenant or another list is refused, not followed."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from switchboard.errors import InvalidInput
from switchboard.storage.dynamo import plain


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    cursor: str | None


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(plain(last_key), separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, partition_attribute: str, partition_value: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor is not one this API issued", field="cursor") from exc
    if not isinstance(key, dict) or key.get(partition_attribute) != partition_value or not all(
        isinstance(v, str | int) for v in key.values()
    ):
        raise InvalidInput("cursor is not one this API issued", field="cursor")
    return key


def encode_position(position: str) -> str:
    """A cursor for a list merged from several sources, each sorted by the same "<time>#<id>" position."""
    return base64.urlsafe_b64encode(json.dumps({"before": position}).encode()).decode()


def decode_position(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor is not one this API issued", field="cursor") from exc
    if not isinstance(value, dict) or not isinstance(value.get("before"), str) or not value["before"]:
        raise InvalidInput("cursor is not one this API issued", field="cursor")
    return value["before"]


def query_page(table: Any, partition_attribute: str, partition_value: str, cursor: str | None, limit: int,
               **query: Any) -> Page:
    start = decode_cursor(cursor, partition_attribute, partition_value)
    if start:
        query["ExclusiveStartKey"] = start
    response = table.query(Limit=limit, **query)
    return Page(response["Items"], encode_cursor(response.get("LastEvaluatedKey")))
