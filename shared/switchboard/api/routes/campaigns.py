"""Campaigns: create, recipients, start, pause, resume, cancel (admins); read them (everyone)."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import Router

from switchboard.api.auth import principal_of
from switchboard.api.errors import json_response
from switchboard.api.params import Cursor, ResourceId
from switchboard.api.views import Page
from switchboard.campaigns import service
from switchboard.campaigns.models import CampaignIn, CampaignView, RecipientsAdded, RecipientsIn, RecipientView
from switchboard.domain.campaign_states import statuses_for
from switchboard.services import services

router = Router()

CampaignId = ResourceId
Limit = Annotated[int, Query(ge=1, le=100, description="page size")]
Status = Literal["pending", "queued", "sent", "delivered", "read", "failed", "replied", "skipped"]


@router.get("/campaigns", summary="The tenant's campaigns, newest first", tags=["campaigns"])
def list_campaigns(cursor: Cursor = None, limit: Limit = 25) -> Page[CampaignView]:
    principal = principal_of(router.current_event)
    page = services().campaigns.list(principal.tenant_id, cursor, limit)
    return Page[CampaignView](items=[CampaignView.of(i) for i in page.items], next_cursor=page.cursor)


@router.post("/campaigns", summary="Create a campaign (admins)", tags=["campaigns"],
             responses={201: {"description": "the campaign, a draft until started",
                              "content": {"application/json": {"model": CampaignView}}}})
def create_campaign(body: CampaignIn):  # noqa: ANN201 - see responses
    principal = principal_of(router.current_event)
    principal.require_admin()
    item = service.create(services(), principal.tenant_id, body)
    return json_response(201, CampaignView.of(item, {"pending": 0}).model_dump())


@router.get("/campaigns/<campaign_id>", summary="One campaign, with its recipients counted by status",
            tags=["campaigns"])
def get_campaign(campaign_id: CampaignId) -> CampaignView:
    principal = principal_of(router.current_event)
    item, counts = service.get(services(), principal.tenant_id, campaign_id)
    return CampaignView.of(item, counts)


@router.get("/campaigns/<campaign_id>/recipients", summary="A campaign's recipients, optionally in one status",
            tags=["campaigns"])
def list_recipients(campaign_id: CampaignId, status: Annotated[Status | None, Query()] = None,
                    cursor: Cursor = None, limit: Limit = 50) -> Page[RecipientView]:
    principal = principal_of(router.current_event)
    repo = services().campaigns
    repo.require(principal.tenant_id, campaign_id)
    page = repo.recipients(principal.tenant_id, campaign_id, statuses_for(status) if status else None, cursor, limit)
    return Page[RecipientView](items=[RecipientView.of(i) for i in page.items], next_cursor=page.cursor)


@router.post("/campaigns/<campaign_id>/recipients", summary="Add recipients by contact id or directory filter "
             "(admins)", tags=["campaigns"])
def add_recipients(campaign_id: CampaignId, body: RecipientsIn) -> RecipientsAdded:
    principal = principal_of(router.current_event)
    principal.require_admin()
    return service.add_recipients(services(), principal.tenant_id, campaign_id, body)


def _act(action: str, campaign_id: str) -> CampaignView:
    principal = principal_of(router.current_event)
    principal.require_admin()
    item = getattr(service, action)(services(), principal.tenant_id, campaign_id)
    return CampaignView.of(item)


@router.post("/campaigns/<campaign_id>/start", summary="Start: schedule the campaign (admins)", tags=["campaigns"])
def start_campaign(campaign_id: CampaignId) -> CampaignView:
    return _act("start", campaign_id)


@router.post("/campaigns/<campaign_id>/pause", summary="Pause sending (admins)", tags=["campaigns"])
def pause_campaign(campaign_id: CampaignId) -> CampaignView:
    return _act("pause", campaign_id)


@router.post("/campaigns/<campaign_id>/resume", summary="Resume a paused campaign (admins)", tags=["campaigns"])
def resume_campaign(campaign_id: CampaignId) -> CampaignView:
    return _act("resume", campaign_id)


@router.post("/campaigns/<campaign_id>/cancel", summary="Cancel: nothing more is sent (admins)",
             tags=["campaigns"])
def cancel_campaign(campaign_id: CampaignId) -> CampaignView:
    return _act("cancel", campaign_id)
