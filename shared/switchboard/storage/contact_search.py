"""Reading the directory one page at a time, with no scan: one Query on one partition (a search
token, the blocked index, or the tenant's contact list), then at most one BatchGetItem for the
contacts a token page names. The cost of a page depends on the page size, not on the directory's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from switchboard.storage import keys
from switchboard.storage.dynamo import Table
from switchboard.storage.pagination import decode_cursor, encode_cursor


@dataclass(frozen=True)
class Source:
    """Where a page comes from: ``token`` (a search entry partition), ``blocked`` or ``all``."""

    kind: str
    token: str | None = None
    created_from: str | None = None
    created_to: str | None = None


@dataclass(frozen=True)
class CandidatePage:
    contacts: list[dict[str, Any]]
    cursor: str | None


class ContactSearchStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def candidates(self, tenant_id: str, source: Source, cursor: str | None, limit: int) -> CandidatePage:
        if source.kind == "token":
            partition = keys.contact_token_partition(tenant_id, source.token or "")
            query: dict[str, Any] = {"KeyConditionExpression": "pk = :pk",
                                     "ExpressionAttributeValues": {":pk": partition}}
            attribute = "pk"
        elif source.kind == "blocked":
            partition = keys.blocked_contacts_index(tenant_id)
            query = {"IndexName": keys.GSI2, "KeyConditionExpression": "gsi2pk = :pk",
                     "ExpressionAttributeValues": {":pk": partition}}
            attribute = "gsi2pk"
        else:
            partition = keys.contacts_index(tenant_id)
            query = {"IndexName": keys.GSI1, "ExpressionAttributeValues": {":pk": partition},
                     "ScanIndexForward": False}
            attribute = "gsi1pk"
            low, high = source.created_from, source.created_to
            if low or high:
                query["KeyConditionExpression"] = "gsi1pk = :pk AND gsi1sk BETWEEN :low AND :high"
                query["ExpressionAttributeValues"].update({":low": low or "0", ":high": (high or "~") + "~"})
            else:
                query["KeyConditionExpression"] = "gsi1pk = :pk"
        start = decode_cursor(cursor, attribute, partition)
        if start:
            query["ExclusiveStartKey"] = start
        response = self.table.query(Limit=limit, **query)
        next_cursor = encode_cursor(response.get("LastEvaluatedKey"))
        if source.kind != "token":
            return CandidatePage(response["Items"], next_cursor)
        ids = [item["contact_id"] for item in response["Items"]]
        if not ids:
            return CandidatePage([], next_cursor)
        found = {item["contact_id"]: item for item in self.table.get_many(
            [keys.contact(tenant_id, cid) for cid in ids])}
        return CandidatePage([found[cid] for cid in ids if cid in found], next_cursor)
