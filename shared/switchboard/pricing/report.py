"""``GET /reports/costs``: the monthly counts of delivered messages, by channel, month, category and type,
priced with the tenant's rate card (the demo card until an admin puts one). One query over the months' counter
items, no scan."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from switchboard import clock
from switchboard.errors import InvalidInput
from switchboard.pricing.rates import DEMO_RATE_CARD, RateCard
from switchboard.storage.costs import COUNT_PREFIX, CostStore, parse_count_name

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_MONTHS = 36


class CostLine(BaseModel):
    channel_id: str
    month: str = Field(description="YYYY-MM (UTC), the month the messages were delivered in")
    category: str = Field(description="Meta's pricing category: marketing, utility, authentication, service ...")
    type: str = Field(description="Meta's pricing type: regular, free_customer_service, free_entry_point")
    messages: int = Field(description="delivered messages")
    billable_messages: int = Field(description="the ones Meta bills")
    unpriced_messages: int = Field(description="billable ones whose market and category the rate card has no price for")
    cost: str = Field(description="billable messages times the rate card's price, in the card's currency (decimal)")


class TierUpdateView(BaseModel):
    waba_id: str
    effective_month: str
    category: str
    region: str
    tier: str
    tier_updated_at: str


class CostsReport(BaseModel):
    currency: str
    rate_card_effective_from: str
    from_month: str
    to_month: str
    total_cost: str
    lines: list[CostLine]
    tier_updates: list[TierUpdateView] = Field(
        description="Meta's VOLUME_BASED_PRICING_TIER_UPDATE announcements, latest month first")


def rate_card_of(store: CostStore, tenant_id: str) -> RateCard:
    item = store.rate_card(tenant_id)
    return RateCard.of_stored(item) if item else DEMO_RATE_CARD


def _month(value: str | None, field: str, default: str) -> str:
    if value is None:
        return default
    if not _MONTH.match(value):
        raise InvalidInput("a month is YYYY-MM", field=field)
    return value


def _months_apart(first: str, last: str) -> int:
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:])


def costs(store: CostStore, tenant_id: str, from_month: str | None, to_month: str | None,
          channel_id: str | None) -> CostsReport:
    this_month = clock.iso(clock.now())[:7]
    last = _month(to_month, "to", this_month)
    first = _month(from_month, "from", last)
    if first > last:
        raise InvalidInput("from is after to", field="from")
    if _months_apart(first, last) >= MAX_MONTHS:
        raise InvalidInput(f"at most {MAX_MONTHS} months at once", field="from")
    card = rate_card_of(store, tenant_id)
    lines: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for item in store.months(tenant_id, first, last):
        if channel_id and item.get("channel_id") != channel_id:
            continue
        for name, count in item.items():
            if not name.startswith(COUNT_PREFIX):
                continue
            market, category, kind, billable = parse_count_name(name)
            line = lines.setdefault((item["channel_id"], item["month"], category, kind), {
                "messages": 0, "billable_messages": 0, "unpriced_messages": 0, "cost": Decimal(0)})
            line["messages"] += int(count)
            if billable:
                line["billable_messages"] += int(count)
                price = card.price(market, category)
                if price is None:
                    line["unpriced_messages"] += int(count)
                else:
                    line["cost"] += price * int(count)
    views = [CostLine(channel_id=c, month=m, category=cat, type=t, messages=v["messages"],
                      billable_messages=v["billable_messages"], unpriced_messages=v["unpriced_messages"],
                      cost=_money(v["cost"])) for (c, m, cat, t), v in sorted(lines.items())]
    total = sum((Decimal(v.cost) for v in views), Decimal(0))
    tiers = [TierUpdateView(**{k: str(t.get(k, "")) for k in TierUpdateView.model_fields})
             for t in store.tier_updates(tenant_id)]
    return CostsReport(currency=card.currency, rate_card_effective_from=card.effective_from, from_month=first,
                       to_month=last, total_cost=_money(total), lines=views, tier_updates=tiers)


def _money(value: Decimal) -> str:
    text = format(value.quantize(Decimal("0.000001")), "f").rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"
