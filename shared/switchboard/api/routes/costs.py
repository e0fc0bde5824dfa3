"""What WhatsApp messages cost (admins): the tenant's rate card, and the costs report from the monthly counts
of delivered messages (docs/pricing.md)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import Router

from switchboard.api.auth import principal_of
from switchboard.pricing.rates import RateCard, RateCardIn
from switchboard.pricing.report import CostsReport, costs, rate_card_of
from switchboard.services import services
from switchboard.storage.costs import CostStore

router = Router()

Month = Annotated[str | None, Query(max_length=7, description="a month, YYYY-MM (UTC)")]
ChannelFilter = Annotated[str | None, Query(max_length=64, pattern=r"^[0-9A-Za-z_-]+$",
                                            description="only this channel")]


def _admin_tenant() -> str:
    principal = principal_of(router.current_event)
    principal.require_admin()
    return principal.tenant_id


@router.get("/rate-card", summary="The tenant's rate card: price per delivered message by market and category "
            "(admins)", tags=["costs"])
def get_rate_card() -> RateCard:
    return rate_card_of(CostStore(services().table), _admin_tenant())


@router.put("/rate-card", summary="Replace the tenant's rate card (admins)", tags=["costs"])
def put_rate_card(body: Annotated[RateCardIn, Body()]) -> RateCard:
    CostStore(services().table).put_rate_card(_admin_tenant(), body.stored())
    return RateCard.of_stored(body.stored())


@router.get("/reports/costs", summary="Delivered WhatsApp messages by channel, month, category and type, priced "
            "with the rate card (admins)", tags=["costs"])
def costs_report(from_: Annotated[str | None, Query(alias="from", max_length=7,
                                                     description="the first month, YYYY-MM (UTC)")] = None,
                 to: Month = None, channel_id: ChannelFilter = None) -> CostsReport:
    return costs(CostStore(services().table), _admin_tenant(), from_, to, channel_id)
