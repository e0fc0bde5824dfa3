"""What webhooks tell us besides messages and statuses: webhook-level errors and other fields (kept whole
for admins, newest first), the minimal template record template events update, and marketing opt-outs.

Every write here is idempotent and forward-only by the event's own time, so redeliveries and
out-of-order deliveries change nothing they should not."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from switchboard import clock
from switchboard.storage import keys
from switchboard.storage.dynamo import Table, Transaction, committed_unless_refused, is_conditional_failure
from switchboard.storage.pagination import Page, query_page

SEEN_FOR = timedelta(days=30)


class WebhookUpdateStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def record(self, tenant_id: str, kind: str, event_id: str, at_iso: str, fields: dict[str, Any]) -> bool:
        """Keep one update under ``<at>#<event id>``; a redelivery of the same event id (whatever its
        time) is recognised by its marker and writes nothing. Returns whether it was new."""
        tx = Transaction()
        tx.put({**keys.webhook_update_seen(tenant_id, kind, event_id), "sort_key": f"{at_iso}#{event_id}",
                keys.TTL_ATTRIBUTE: int((clock.now() + SEEN_FOR).timestamp())},
               condition="attribute_not_exists(pk)")
        tx.put({**keys.webhook_update(tenant_id, kind, f"{at_iso}#{event_id}"), "tenant_id": tenant_id,
                "kind": kind, "event_id": event_id, "received_at": at_iso, **fields})
        return committed_unless_refused(self.table, tx)

    def list(self, tenant_id: str, kind: str, cursor: str | None, limit: int) -> Page:
        partition = keys.webhook_update(tenant_id, kind, "")["pk"]
        return query_page(self.table, "pk", partition, cursor, limit,
                          KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": partition},
                          ScanIndexForward=False)

    def update_template(self, tenant_id: str, channel_id: str, sort_key: str, group: str, event_at: int,
                        fields: dict[str, Any]) -> bool:
        """Set one group of a template's attributes (status, quality, category, components) unless a
        newer event of that group was applied. Returns whether it was applied."""
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values: dict[str, Any] = {f":f{i}": value for i, value in enumerate(fields.values())}
        sets = [f"#f{i} = :f{i}" for i in range(len(fields))]
        names["#at"] = f"{group}_event_at"
        values.update({":at": event_at, ":now": clock.iso(clock.now())})
        sets += ["#at = :at", "updated_at = :now"]
        try:
            self.table.update(keys.template(tenant_id, channel_id, sort_key), "SET " + ", ".join(sets), values,
                              names, condition="attribute_not_exists(#at) OR #at <= :at")
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            return False
        return True

    def record_opt_out(self, tenant_id: str, channel_id: str, wa_id: str, opted_out: bool, at: int,
                       fields: dict[str, Any]) -> bool:
        """The customer's latest marketing preference wins; an older one arriving late changes nothing."""
        item = {**keys.opt_out(tenant_id, channel_id, wa_id), "tenant_id": tenant_id, "channel_id": channel_id,
                "wa_id": wa_id, "opted_out": opted_out, "at_epoch": at, "at": clock.iso(clock.from_unix(at)),
                "updated_at": clock.iso(clock.now()), **fields}
        try:
            self.table.put(item, condition="attribute_not_exists(pk) OR at_epoch <= :t",
                           ExpressionAttributeValues={":t": at})
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            return False
        return True

    def opt_out(self, tenant_id: str, channel_id: str, wa_id: str) -> dict[str, Any] | None:
        return self.table.get(keys.opt_out(tenant_id, channel_id, wa_id))
