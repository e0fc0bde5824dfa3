"""A tenant's rate card: what one delivered template message costs, per market (the recipient's country, ISO
3166 alpha-2, or ``*`` for every other market) and pricing category. Admins edit it (``PUT /rate-card``);
until they do, the demo defaults below apply: Meta's per-message rates for the Czech Republic (market "Rest of
Central & Eastern Europe") and the United States ("North America"), in USD, as docs/whatsapp-2026.md records
where and when they were confirmed."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

CATEGORIES = ("marketing", "marketing_lite", "utility", "authentication", "authentication_international",
              "service")
OTHER_MARKETS = "*"

Market = Annotated[str, StringConstraints(pattern=r"^([A-Z]{2}|\*)$")]
Rate = Annotated[Decimal, Field(ge=0, le=10, max_digits=12, decimal_places=6)]


class RateCard(BaseModel):
    """Prices per market and category, in ``currency``, from ``effective_from`` (a day, YYYY-MM-DD)."""

    model_config = ConfigDict(extra="forbid")

    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    effective_from: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="the day these rates apply from")
    source: str | None = Field(None, max_length=500, description="where the rates come from")
    rates: dict[Market, dict[str, Rate]] = Field(
        description="market (ISO 3166 alpha-2 of the recipient's country, or * for any other) -> category -> price "
                    "of one delivered message", max_length=300)

    @field_validator("rates")
    @classmethod
    def _known_categories(cls, rates: dict[str, dict[str, Decimal]]) -> dict[str, dict[str, Decimal]]:
        for market, prices in rates.items():
            unknown = sorted(set(prices) - set(CATEGORIES))
            if unknown:
                raise ValueError(f"unknown pricing categories for {market}: {', '.join(unknown)} "
                                 f"(known: {', '.join(CATEGORIES)})")
        return rates

    def price(self, market: str, category: str) -> Decimal | None:
        """The price of one message; None when the card has no rate for it (neither the market nor ``*``)."""
        for prices in (self.rates.get(market), self.rates.get(OTHER_MARKETS)):
            if prices and category in prices:
                return prices[category]
        return None

    def stored(self) -> dict[str, Any]:
        """The item's attributes: rates as decimal strings (exact; DynamoDB numbers would be too, but floats
        never are)."""
        return {"currency": self.currency, "effective_from": self.effective_from, "source": self.source or "",
                "rates": {m: {c: str(v) for c, v in p.items()} for m, p in self.rates.items()}}

    @classmethod
    def of_stored(cls, item: dict[str, Any]) -> RateCard:
        return cls(currency=item["currency"], effective_from=item["effective_from"],
                   source=item.get("source") or None,
                   rates={m: {c: Decimal(str(v)) for c, v in p.items()} for m, p in item["rates"].items()})


class RateCardIn(RateCard):
    """A rate card an admin puts (the same fields; its own schema in the OpenAPI document)."""


# Meta's rate card, USD per delivered message (per-message pricing since 2025-07-01). CZ is in the market
# "Rest of Central & Eastern Europe"; US in "North America". See docs/whatsapp-2026.md for the sources.
DEMO_RATE_CARD = RateCard(
    currency="USD", effective_from="2025-07-01",
    source="Meta WhatsApp Business Platform rate card (per-message pricing, effective 2025-07-01); "
           "demo defaults, edit with PUT /rate-card",
    rates={
        "CZ": {"marketing": Decimal("0.0860"), "utility": Decimal("0.0212"), "authentication": Decimal("0.0212"),
               "service": Decimal(0)},
        "US": {"marketing": Decimal("0.0250"), "utility": Decimal("0.0040"), "authentication": Decimal("0.0040"),
               "service": Decimal(0)},
    })


def market_of(recipient: str | None) -> str:
    """The market a message is priced in: the country of the recipient's number (a wa_id is the number's
    digits); ``*`` when it cannot be told (a business-scoped user id, say)."""
    digits = (recipient or "").lstrip("+")
    if not digits.isdigit():
        return OTHER_MARKETS
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return OTHER_MARKETS
    region = phonenumbers.region_code_for_number(number) or phonenumbers.region_code_for_country_code(
        number.country_code)
    return region if region and region != "ZZ" else OTHER_MARKETS
