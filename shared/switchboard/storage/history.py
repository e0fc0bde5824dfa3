"""A contact's history: entries under the contact's partition (``H#<time>#<id>``), written in the same
transaction as the change they record, and the tenant's audit log (``T#t#AUDIT``)."""

from __future__ import annotations

from typing import Any

from switchboard import ids
from switchboard.storage import keys
from switchboard.storage.dynamo import Table
from switchboard.storage.sessions import contact_sessions


def history_item(tenant_id: str, contact_id: str, at_iso: str, entry: dict[str, Any],
                 entry_id: str | None = None) -> dict[str, Any]:
    entry_id = entry_id or ids.new_id()
    return {"pk": keys.contact(tenant_id, contact_id)["pk"], "sk": keys.history_sort_key(at_iso, entry_id),
            "entry_id": entry_id, "contact_id": contact_id, "tenant_id": tenant_id, "at": at_iso, **entry}


def audit_item(tenant_id: str, at_iso: str, action: str, contact_id: str, by: str) -> dict[str, Any]:
    """An audit record names the contact by id only: no name, number or address."""
    entry_id = ids.new_id()
    return {**keys.audit(tenant_id, at_iso, entry_id), "audit_id": entry_id, "action": action,
            "contact_id": contact_id, "by": by, "at": at_iso}


class HistoryStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def entries(self, tenant_id: str, contact_id: str, limit: int,
                before: str | None = None) -> list[dict[str, Any]]:
        """The newest ``limit`` history entries of a contact (older than ``before``, a "<time>#<id>")."""
        pk = keys.contact(tenant_id, contact_id)["pk"]
        if before:
            condition, values = "pk = :pk AND sk BETWEEN :h AND :before", {":before": f"H#{before}"}
        else:
            condition, values = "pk = :pk AND begins_with(sk, :h)", {}
        response = self.table.query(
            KeyConditionExpression=condition, ScanIndexForward=False, Limit=limit + 1 if before else limit,
            ExpressionAttributeValues={":pk": pk, ":h": "H#", **values})
        items = response["Items"]
        if before:  # BETWEEN includes its bounds: the cursor's own entry is on the page before
            items = [i for i in items if i["sk"] != f"H#{before}"][:limit]
        return items

    def messages(self, tenant_id: str, contact_id: str, limit: int,
                 before: str | None = None) -> list[dict[str, Any]]:
        """The newest ``limit`` messages kept under the contact itself: what campaigns sent it, and what it
        wrote while blocked (``M#<time>#<id>``: one item per message, so one entry each), older than
        ``before``."""
        pk = keys.contact(tenant_id, contact_id)["pk"]
        if before:
            condition, values = "pk = :pk AND sk BETWEEN :m AND :before", {":before": f"M#{before}"}
        else:
            condition, values = "pk = :pk AND begins_with(sk, :m)", {}
        response = self.table.query(
            KeyConditionExpression=condition, ScanIndexForward=False, Limit=limit + 1 if before else limit,
            ExpressionAttributeValues={":pk": pk, ":m": "M#", **values})
        items = response["Items"]
        if before:  # BETWEEN includes its bounds
            items = [i for i in items if i["sk"] != f"M#{before}"][:limit]
        return items

    def sessions(self, tenant_id: str, contact_id: str, limit: int,
                 before: str | None = None) -> list[dict[str, Any]]:
        """The newest ``limit`` sessions of a contact, every channel, older than ``before``."""
        return contact_sessions(self.table, tenant_id, contact_id, limit, before)

    def audit_log(self, tenant_id: str, limit: int = 100) -> list[dict[str, Any]]:
        response = self.table.query(KeyConditionExpression="pk = :pk", ScanIndexForward=False, Limit=limit,
                                    ExpressionAttributeValues={":pk": f"T#{tenant_id}#AUDIT"})
        return response["Items"]
