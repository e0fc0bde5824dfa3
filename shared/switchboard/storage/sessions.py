"""Reading sessions and their messages."""

from __future__ import annotations

from typing import Any

from switchboard.storage import keys
from switchboard.storage.dynamo import Table
from switchboard.storage.pagination import Page, query_page


class SessionRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, tenant_id: str, session_id: str) -> dict[str, Any] | None:
        return self.table.get(keys.session(tenant_id, session_id))

    def list_recent(self, tenant_id: str, cursor: str | None, limit: int,
                    filters: dict[str, Any] | None = None) -> Page:
        """Sessions by latest activity first (GSI1). ``filters`` are attribute equalities."""
        query: dict[str, Any] = {
            "IndexName": keys.GSI1,
            "KeyConditionExpression": "gsi1pk = :pk",
            "ExpressionAttributeValues": {":pk": keys.sessions_index(tenant_id)},
            "ScanIndexForward": False,
        }
        if filters:
            names = {f"#a{i}": name for i, name in enumerate(filters)}
            query["FilterExpression"] = " AND ".join(f"#a{i} = :a{i}" for i in range(len(filters)))
            query["ExpressionAttributeNames"] = names
            query["ExpressionAttributeValues"].update({f":a{i}": v for i, v in enumerate(filters.values())})
        return query_page(self.table, "gsi1pk", keys.sessions_index(tenant_id), cursor, limit, **query)

    def messages(self, tenant_id: str, session_id: str, cursor: str | None, limit: int,
                 newest_first: bool = False) -> Page:
        partition = keys.session_partition(tenant_id, session_id)
        return query_page(
            self.table, "pk", partition, cursor, limit,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :m)",
            ExpressionAttributeValues={":pk": partition, ":m": "M#"},
            ScanIndexForward=not newest_first,
        )
