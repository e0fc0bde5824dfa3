"""SLA policies (docs/sla.md): targets for first response, next response and resolution, in seconds, for
one group or one channel. A session falls under its group's policy, else its channel's. Admins write them;
every operator of the tenant may read them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from switchboard import clock, ids
from switchboard.clients.eventbus import DomainEvent
from switchboard.domain.principal import Principal
from switchboard.errors import Conflict, InvalidInput, NotFound
from switchboard.services import Services
from switchboard.storage.pagination import Page
from switchboard.storage.sla import TARGET_FIELDS, PolicyMissing, ScopeTaken

_MIN, _MAX = 60, 90 * 86400  # a minute to ninety days
Seconds = Field(None, ge=_MIN, le=_MAX, description="seconds of counted time (business hours when the group has "
                                                     "them)")


class SlaPolicyCreate(BaseModel):
    """For one group (``group_id``) or one channel (``channel_id``); at least one target."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    group_id: str | None = Field(None, min_length=1, max_length=128)
    channel_id: str | None = Field(None, min_length=1, max_length=64)
    first_response_seconds: int | None = Seconds
    next_response_seconds: int | None = Seconds
    resolution_seconds: int | None = Seconds


class SlaPolicyPatch(BaseModel):
    """Name and targets (null removes a target); the scope stays (delete and create to move a policy)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    first_response_seconds: int | None = Seconds
    next_response_seconds: int | None = Seconds
    resolution_seconds: int | None = Seconds

    @model_validator(mode="after")
    def _something(self) -> SlaPolicyPatch:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        return self


class SlaPolicyView(BaseModel):
    model_config = ConfigDict(extra="ignore")

    policy_id: str
    name: str
    group_id: str | None = None
    channel_id: str | None = None
    first_response_seconds: int | None = None
    next_response_seconds: int | None = None
    resolution_seconds: int | None = None
    created_at: str
    updated_at: str


def _require_a_target(fields: dict[str, Any]) -> None:
    if not any(fields.get(name) for name in TARGET_FIELDS):
        raise InvalidInput("a policy sets at least one target", field="first_response_seconds")


def create(services: Services, principal: Principal, request: SlaPolicyCreate) -> dict[str, Any]:
    principal.require_admin()
    t = principal.tenant_id
    if (request.group_id is None) == (request.channel_id is None):
        raise InvalidInput("give exactly one of group_id and channel_id", field="group_id")
    if request.group_id is not None and services.groups.get(t, request.group_id) is None:
        raise InvalidInput("no such group", field="group_id")
    if request.channel_id is not None and services.channels.get(t, request.channel_id) is None:
        raise InvalidInput("no such channel", field="channel_id")
    fields = request.model_dump()
    _require_a_target(fields)
    kind, scope_id = ("group", request.group_id) if request.group_id else ("channel", request.channel_id)
    fields.update(policy_id=ids.new_id(), scope_kind=kind, scope_id=scope_id)
    try:
        item = services.sla_policies.create(t, fields, clock.iso(clock.now()))
    except ScopeTaken as taken:
        raise Conflict(f"that {kind} already has an SLA policy", code="sla_policy_exists",
                       **{f"{kind}_id": scope_id}) from taken
    services.bus.publish([DomainEvent("sla_policy.created", t, {"policy_id": item["policy_id"],
                                                                "by": principal.operator_id})])
    return item


def listed(services: Services, principal: Principal, cursor: str | None, limit: int) -> Page:
    return services.sla_policies.list(principal.tenant_id, cursor, limit)


def update(services: Services, principal: Principal, policy_id: str, request: SlaPolicyPatch) -> dict[str, Any]:
    principal.require_admin()
    t = principal.tenant_id
    current = services.sla_policies.get(t, policy_id)
    if current is None:
        raise NotFound("no such SLA policy", policy_id=policy_id)
    given = request.model_dump(exclude_unset=True)
    if given.get("name", "") is None:
        raise InvalidInput("a policy keeps its name", field="name")
    _require_a_target({**current, **given})
    try:
        item = services.sla_policies.update(t, policy_id, given, clock.iso(clock.now()))
    except PolicyMissing as missing:
        raise NotFound("no such SLA policy", policy_id=policy_id) from missing
    services.bus.publish([DomainEvent("sla_policy.updated", t, {"policy_id": policy_id, "by": principal.operator_id,
                                                                "fields": sorted(given)})])
    return item


def delete(services: Services, principal: Principal, policy_id: str) -> None:
    principal.require_admin()
    t = principal.tenant_id
    try:
        services.sla_policies.delete(t, policy_id)
    except PolicyMissing as missing:
        raise NotFound("no such SLA policy", policy_id=policy_id) from missing
    services.bus.publish([DomainEvent("sla_policy.deleted", t, {"policy_id": policy_id, "by": principal.operator_id})])
