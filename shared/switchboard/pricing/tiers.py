"""``account_update`` webhooks with ``VOLUME_BASED_PRICING_TIER_UPDATE``: Meta moved the business account to
another volume tier of a pricing category in a market for a month. Recorded per month, category and region
(the latest announcement wins), shown to admins with the costs report."""

from __future__ import annotations

from typing import Any

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.storage.costs import CostStore

TIER_UPDATE = "VOLUME_BASED_PRICING_TIER_UPDATE"


def record_tier_update(store: CostStore, tenant_id: str, channel_id: str, waba_id: str,
                       value: dict[str, Any]) -> list[DomainEvent]:
    info = value.get("volume_tier_info") or {}
    if str(value.get("event", "")).upper() != TIER_UPDATE or not isinstance(info, dict):
        return []
    month, category = str(info.get("effective_month") or ""), str(info.get("pricing_category") or "").lower()
    region, tier = str(info.get("region") or ""), str(info.get("tier") or "")
    if not (month and category and tier):
        return []
    updated = info.get("tier_update_time")
    updated_at = clock.iso(clock.from_unix(updated)) if updated is not None else clock.iso(clock.now())
    fields = {"waba_id": waba_id, "channel_id": channel_id, "effective_month": month, "category": category,
              "region": region, "tier": tier, "tier_updated_at": updated_at}
    if not store.record_tier_update(tenant_id, month, category, region, waba_id, fields):
        return []
    return [DomainEvent("pricing.tier_updated", tenant_id, fields)]
