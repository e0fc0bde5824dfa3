"""Outgoing webhook subscriptions and their deliveries (docs/realtime.md). A subscription lives under the
tenant's subscriptions partition (the fan-out reads them with one query); each delivery is keyed by the
event's number, so the same event is planned once per subscription however often it is fanned out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from switchboard import clock
from switchboard.storage import keys
from switchboard.storage.dynamo import Table, is_conditional_failure, plain, strip_keys
from switchboard.storage.pagination import Page, query_page

DELIVERIES_KEPT_FOR = timedelta(days=30)
ACTIVE, PAUSED = "active", "paused"
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


class WebhookSubscriptionStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    # subscriptions
    def create(self, item: dict[str, Any]) -> None:
        self.table.put({**keys.webhook_subscription(item["tenant_id"], item["subscription_id"]), **item},
                       condition="attribute_not_exists(pk)")

    def get(self, tenant_id: str, subscription_id: str) -> dict[str, Any] | None:
        item = self.table.get(keys.webhook_subscription(tenant_id, subscription_id), consistent=True)
        return strip_keys(item) if item else None

    def of_tenant(self, tenant_id: str) -> list[dict[str, Any]]:
        return [strip_keys(i) for i in self.table.query_items(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": keys.webhook_subscriptions_partition(tenant_id)})]

    def page(self, tenant_id: str, cursor: str | None, limit: int) -> Page:
        partition = keys.webhook_subscriptions_partition(tenant_id)
        found = query_page(self.table, "pk", partition, cursor, limit, KeyConditionExpression="pk = :pk",
                           ExpressionAttributeValues={":pk": partition}, ConsistentRead=True)
        return Page([strip_keys(i) for i in found.items], found.cursor)

    def change(self, tenant_id: str, subscription_id: str, fields: dict[str, Any]) -> dict[str, Any] | None:
        """Set ``fields`` on an existing subscription; None when there is none."""
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":f{i}": value for i, value in enumerate(fields.values())}
        expression = "SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(fields)))
        try:
            item = self.table.update(keys.webhook_subscription(tenant_id, subscription_id), expression, values,
                                     names, condition="attribute_exists(pk)", return_values="ALL_NEW")
        except ClientError as exc:
            if is_conditional_failure(exc):
                return None
            raise
        return strip_keys(item)

    def remove(self, tenant_id: str, subscription_id: str) -> bool:
        """Delete it; False when there was none."""
        try:
            self.table.delete(keys.webhook_subscription(tenant_id, subscription_id),
                              condition="attribute_exists(pk)")
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def attempt_failed(self, tenant_id: str, subscription_id: str) -> int:
        """One more failed attempt in a row; returns how many (0 when the subscription is gone)."""
        try:
            item = self.table.update(keys.webhook_subscription(tenant_id, subscription_id),
                                     "ADD consecutive_failures :one", {":one": 1},
                                     condition="attribute_exists(pk)", return_values="UPDATED_NEW")
        except ClientError as exc:
            if is_conditional_failure(exc):
                return 0
            raise
        return int(plain(item["consecutive_failures"]))

    def attempt_succeeded(self, tenant_id: str, subscription_id: str) -> None:
        try:
            self.table.update(keys.webhook_subscription(tenant_id, subscription_id),
                              "SET consecutive_failures = :zero", {":zero": 0, ":no": 0},
                              condition="attribute_exists(pk) AND consecutive_failures <> :no")
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise

    def pause(self, tenant_id: str, subscription_id: str, reason: str) -> bool:
        """Active -> paused, once: only the caller that moved it gets True (and publishes the event)."""
        try:
            self.table.update(keys.webhook_subscription(tenant_id, subscription_id),
                              "SET #status = :paused, paused_at = :now, pause_reason = :why, updated_at = :now",
                              {":paused": PAUSED, ":active": ACTIVE, ":now": clock.iso(clock.now()), ":why": reason},
                              {"#status": "status"}, condition="#status = :active")
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    # deliveries
    def plan_delivery(self, tenant_id: str, subscription_id: str, seq: int, fields: dict[str, Any]) -> bool:
        """The delivery of event ``seq`` to this subscription, pending; False when it was planned already."""
        expires = int((clock.now() + DELIVERIES_KEPT_FOR).timestamp())
        try:
            self.table.put({**keys.webhook_delivery(tenant_id, subscription_id, seq), "tenant_id": tenant_id,
                            "subscription_id": subscription_id, "seq": seq, "status": PENDING, "attempts": 0,
                            keys.TTL_ATTRIBUTE: expires, **fields}, condition="attribute_not_exists(pk)")
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def delivery(self, tenant_id: str, subscription_id: str, seq: int) -> dict[str, Any] | None:
        item = self.table.get(keys.webhook_delivery(tenant_id, subscription_id, seq), consistent=True)
        return strip_keys(item) if item else None

    def record_attempt(self, tenant_id: str, subscription_id: str, seq: int, status: str,
                       fields: dict[str, Any]) -> None:
        """One attempt's outcome; a delivery already delivered stays delivered (a late duplicate attempt
        that failed does not undo it)."""
        names = {"#status": "status", **{f"#f{i}": name for i, name in enumerate(fields)}}
        values: dict[str, Any] = {":status": status, ":one": 1, ":delivered": DELIVERED,
                                  **{f":f{i}": value for i, value in enumerate(fields.values())}}
        sets = ["#status = :status", *(f"#f{i} = :f{i}" for i in range(len(fields)))]
        try:
            self.table.update(keys.webhook_delivery(tenant_id, subscription_id, seq),
                              "SET " + ", ".join(sets) + " ADD attempts :one", values, names,
                              condition="attribute_exists(pk) AND #status <> :delivered")
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise

    def deliveries(self, tenant_id: str, subscription_id: str, cursor: str | None, limit: int) -> Page:
        partition = keys.webhook_deliveries_partition(tenant_id, subscription_id)
        page = query_page(self.table, "pk", partition, cursor, limit, KeyConditionExpression="pk = :pk",
                          ExpressionAttributeValues={":pk": partition}, ScanIndexForward=False)
        return Page([strip_keys(i) for i in page.items], page.cursor)
