"""Groups (members, routing mode, business hours), the tenant's routing rules, and each channel's
business hours and away message. Writes are for admins."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import Router

from switchboard import clock
from switchboard.api.auth import principal_of
from switchboard.api.errors import json_response
from switchboard.api.params import Cursor
from switchboard.api.views import Page
from switchboard.clients.eventbus import DomainEvent
from switchboard.errors import InvalidInput, NotFound
from switchboard.services import services
from switchboard.team import operators
from switchboard.team.models import ChannelHours, GroupCreate, GroupPatch, GroupView, RoutingRules

router = Router()

GroupId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[0-9A-Za-z_.:@-]+$")]
ChannelId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_.-]+$")]
Limit = Annotated[int, Query(ge=1, le=100, description="page size")]


@router.get("/groups", summary="The tenant's groups", tags=["team"])
def list_groups(cursor: Cursor = None, limit: Limit = 50) -> Page[GroupView]:
    principal = principal_of(router.current_event)
    page = services().groups.list(principal.tenant_id, cursor, limit)
    return Page[GroupView](
        items=[GroupView.model_validate(operators.group_presented(i)) for i in page.items],
        next_cursor=page.cursor,
    )


@router.post(
    "/groups",
    summary="Create a group (admins)",
    tags=["team"],
    responses={
        201: {
            "description": "created",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GroupView"}}},
        }
    },
)
def create_group(request: GroupCreate):
    principal = principal_of(router.current_event)
    view = GroupView.model_validate(operators.create_group(services(), principal, request))
    return json_response(201, view.model_dump(mode="json"))


@router.get("/groups/<group_id>", summary="One group", tags=["team"])
def get_group(group_id: GroupId) -> GroupView:
    principal = principal_of(router.current_event)
    return GroupView.model_validate(
        operators.group_presented(operators.load_group(services(), principal.tenant_id, group_id))
    )


@router.patch("/groups/<group_id>", summary="Edit a group (admins)", tags=["team"])
def update_group(group_id: GroupId, request: GroupPatch) -> GroupView:
    principal = principal_of(router.current_event)
    return GroupView.model_validate(operators.update_group(services(), principal, group_id, request))


@router.delete(
    "/groups/<group_id>",
    summary="Delete a group nobody waits in (admins)",
    tags=["team"],
    responses={204: {"description": "deleted"}},
)
def delete_group(group_id: GroupId):
    principal = principal_of(router.current_event)
    operators.delete_group(services(), principal, group_id)
    return json_response(204, {})


@router.get(
    "/routing-rules", summary="The tenant's routing rules, in order, and its default group", tags=["team"]
)
def get_routing_rules() -> RoutingRules:
    principal = principal_of(router.current_event)
    stored = services().team_settings.routing_rules(principal.tenant_id)
    return RoutingRules.model_validate(
        {"rules": stored.get("rules") or [], "default_group_id": stored.get("default_group_id")}
    )


@router.put("/routing-rules", summary="Replace the routing rules (admins)", tags=["team"])
def put_routing_rules(request: RoutingRules) -> RoutingRules:
    principal = principal_of(router.current_event)
    principal.require_admin()
    named = [rule.group_id for rule in request.rules] + (
        [request.default_group_id] if request.default_group_id else []
    )
    found = {g["group_id"] for g in services().groups.get_many(principal.tenant_id, set(named))}
    for index, rule in enumerate(request.rules):
        if rule.group_id not in found:
            raise InvalidInput("no such group", field=f"rules.{index}.group_id")
    if request.default_group_id and request.default_group_id not in found:
        raise InvalidInput("no such group", field="default_group_id")
    services().team_settings.put_routing_rules(
        principal.tenant_id,
        request.model_dump(mode="json")["rules"],
        request.default_group_id,
        clock.iso(clock.now()),
    )
    services().bus.publish(
        [DomainEvent("routing_rules.updated", principal.tenant_id, {"by": principal.operator_id})]
    )
    return request


@router.get(
    "/channels/<channel_id>/business-hours",
    summary="A channel's business hours and away message",
    tags=["team"],
)
def get_channel_hours(channel_id: ChannelId) -> ChannelHours:
    principal = principal_of(router.current_event)
    if services().channels.get(principal.tenant_id, channel_id) is None:
        raise NotFound("no such channel", channel_id=channel_id)
    stored = services().team_settings.channel_hours(principal.tenant_id, channel_id)
    return ChannelHours.model_validate(
        {"business_hours": stored.get("business_hours"), "away_message": stored.get("away_message")}
    )


@router.put(
    "/channels/<channel_id>/business-hours",
    summary="Set a channel's business hours and away message (admins)",
    tags=["team"],
)
def put_channel_hours(channel_id: ChannelId, request: ChannelHours) -> ChannelHours:
    principal = principal_of(router.current_event)
    principal.require_admin()
    if services().channels.get(principal.tenant_id, channel_id) is None:
        raise NotFound("no such channel", channel_id=channel_id)
    services().team_settings.put_channel_hours(
        principal.tenant_id,
        channel_id,
        request.business_hours.stored() if request.business_hours else None,
        request.away_message,
        clock.iso(clock.now()),
    )
    return request
