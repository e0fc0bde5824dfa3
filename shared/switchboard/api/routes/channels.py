"""Channels of the caller's tenant (admins): list them, add a WhatsApp number or a mailbox, edit one,
disable one. Credentials are written to Secrets Manager and never returned."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import Router

from switchboard.api.auth import principal_of
from switchboard.api.errors import json_response
from switchboard.api.params import Cursor, ResourceId
from switchboard.api.views import Page
from switchboard.channels import admin
from switchboard.channels.models import ChannelIn, ChannelPatch, ChannelView
from switchboard.services import services

router = Router()

ChannelId = ResourceId
Limit = Annotated[int, Query(ge=1, le=100, description="page size")]


def _admin_tenant() -> str:
    principal = principal_of(router.current_event)
    principal.require_admin()
    return principal.tenant_id


@router.get("/channels", summary="The tenant's channels (admins)", tags=["channels"])
def list_channels(cursor: Cursor = None, limit: Limit = 50) -> Page[ChannelView]:
    channels, next_cursor = services().channels.page(_admin_tenant(), cursor, limit)
    return Page[ChannelView](items=[ChannelView.of(c) for c in channels], next_cursor=next_cursor)


@router.post("/channels", summary="Add a WhatsApp number or a mailbox (admins)", tags=["channels"],
             responses={201: {"description": "the channel; it receives webhooks at once",
                              "content": {"application/json": {"model": ChannelView}}}})
def create_channel(body: Annotated[ChannelIn, Body()]):  # noqa: ANN201 - see responses
    channel = admin.create(services(), _admin_tenant(), body)
    return json_response(201, ChannelView.of(channel).model_dump(mode="json"))


@router.patch("/channels/<channel_id>", summary="Edit a channel: settings or credentials (admins)",
              tags=["channels"])
def update_channel(channel_id: ChannelId, body: ChannelPatch) -> ChannelView:
    return ChannelView.of(admin.update(services(), _admin_tenant(), channel_id, body))


@router.delete("/channels/<channel_id>", summary="Disable a channel: it receives and sends nothing more "
               "(admins)", tags=["channels"], responses={204: {"description": "disabled"}})
def disable_channel(channel_id: ChannelId):  # noqa: ANN201 - 204
    admin.disable(services(), _admin_tenant(), channel_id)
    return Response(status_code=204)
