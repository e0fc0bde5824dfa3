"""What messages cost: the tenant's rate card, monthly counts of priced messages per channel, and the
volume-based pricing tier updates Meta announces (docs/pricing.md).

Counting is off the hot path: a consumer of ``message.status_changed`` adds each delivered message once, in
one transaction that creates the message's ``COSTED`` marker (refused when it exists: a redelivered event
adds nothing) and ADDs one to its month's counter."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from switchboard import clock
from switchboard.storage import keys
from switchboard.storage.dynamo import (
    ConditionFailed,
    Table,
    Transaction,
    committed_unless_refused,
    strip_keys,
)

COUNT_PREFIX = "n#"
COSTED_FOR = timedelta(days=40)  # Meta's statuses of one message come within days; then the marker expires


def count_name(market: str, category: str, kind: str, billable: bool) -> str:
    return f"{COUNT_PREFIX}{market}#{category}#{kind}#{1 if billable else 0}"


def parse_count_name(name: str) -> tuple[str, str, str, bool]:
    market, category, kind, billable = name[len(COUNT_PREFIX):].split("#")
    return market, category, kind, billable == "1"


class CostStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    # -- the rate card ---------------------------------------------------------------------------------
    def rate_card(self, tenant_id: str) -> dict[str, Any] | None:
        item = self.table.get(keys.rate_card(tenant_id))
        return strip_keys(item) if item else None

    def put_rate_card(self, tenant_id: str, card: dict[str, Any]) -> None:
        self.table.put({**keys.rate_card(tenant_id), **card})

    # -- monthly counts ----------------------------------------------------------------------------------
    def count_once(self, tenant_id: str, provider_message_id: str, month: str, channel_id: str,
                   market: str, category: str, kind: str, billable: bool) -> bool:
        """Count one delivered message in its month; False when it was counted already."""
        tx = Transaction()
        expires = int((clock.now() + COSTED_FOR).timestamp())
        tx.create({**keys.costed_message(tenant_id, provider_message_id), keys.TTL_ATTRIBUTE: expires,
                   "month": month, "channel_id": channel_id})
        tx.update(keys.cost_month(tenant_id, month, channel_id), "ADD #n :one SET channel_id = :c, #m = :month",
                  {":one": 1, ":c": channel_id, ":month": month},
                  {"#n": count_name(market, category, kind, billable), "#m": "month"})
        return committed_unless_refused(self.table, tx)

    def months(self, tenant_id: str, first_month: str, last_month: str) -> list[dict[str, Any]]:
        """Every channel's counts from ``first_month`` to ``last_month`` (``YYYY-MM``, inclusive): one query."""
        return [strip_keys(item) for item in self.table.query_items(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :last",
            ExpressionAttributeValues={":pk": keys.costs_partition(tenant_id), ":first": f"{first_month}#",
                                       ":last": f"{last_month}#~"})]

    # -- volume tiers ------------------------------------------------------------------------------------
    def record_tier_update(self, tenant_id: str, month: str, category: str, region: str, waba_id: str,
                           fields: dict[str, Any]) -> bool:
        """Keep the latest tier Meta announced for a month, category and region; an older (or the same)
        announcement changes nothing. Returns whether it was recorded."""
        key = keys.pricing_tier(tenant_id, month, category, region, waba_id)
        sets = ", ".join(f"#f{i} = :f{i}" for i in range(len(fields)))
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":f{i}": value for i, value in enumerate(fields.values())}
        try:
            self.table.update(key, f"SET {sets}", {**values, ":t": fields["tier_updated_at"]}, names,
                              condition="attribute_not_exists(pk) OR tier_updated_at < :t")
        except ConditionFailed:
            return False
        return True

    def tier_updates(self, tenant_id: str, limit: int = 100) -> list[dict[str, Any]]:
        response = self.table.query(KeyConditionExpression="pk = :pk",
                                    ExpressionAttributeValues={":pk": keys.pricing_tiers_partition(tenant_id)},
                                    ScanIndexForward=False, Limit=limit)
        return [strip_keys(item) for item in response["Items"]]
