"""Saved filters of the session list (docs/search.md): an operator's own under ``T#t#SAVEDFILTERS#OP#<id>``,
the tenant's shared ones under ``T#t#SAVEDFILTERS#SHARED``; the sort key is the filter's id. A list is one
Query of one partition (at most ``sessions.filters.MAX_SAVED_FILTERS`` small items)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from switchboard.storage import keys
from switchboard.storage.dynamo import Table, is_conditional_failure


class SavedFilterRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def create(self, tenant_id: str, owner_id: str | None, fields: dict[str, Any]) -> dict[str, Any]:
        item = {**keys.saved_filter(tenant_id, owner_id, fields["filter_id"]), "tenant_id": tenant_id, **fields}
        self.table.put(item, condition="attribute_not_exists(pk)")
        return item

    def get(self, tenant_id: str, owner_id: str | None, filter_id: str) -> dict[str, Any] | None:
        return self.table.get(keys.saved_filter(tenant_id, owner_id, filter_id), consistent=True)

    def list(self, tenant_id: str, owner_id: str | None) -> list[dict[str, Any]]:
        return list(self.table.query_items(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": keys.saved_filters_partition(tenant_id, owner_id)}))

    def count(self, tenant_id: str, owner_id: str | None) -> int:
        response = self.table.query(
            KeyConditionExpression="pk = :pk", Select="COUNT",
            ExpressionAttributeValues={":pk": keys.saved_filters_partition(tenant_id, owner_id)})
        return int(response.get("Count", 0))

    def delete(self, tenant_id: str, owner_id: str | None, filter_id: str) -> bool:
        """Whether it was there (and is gone now)."""
        try:
            self.table.delete(keys.saved_filter(tenant_id, owner_id, filter_id), condition="attribute_exists(pk)")
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            return False
        return True
