"""Operators and groups: admins invite, edit, disable and delete operators and manage groups; an operator
edits only their own name and languages; presence with a heartbeat."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from switchboard import clock, ids
from switchboard.clients.eventbus import DomainEvent
from switchboard.clients.identity import IdentityTaken
from switchboard.errors import Conflict, Forbidden, InvalidInput, NotFound
from switchboard.services import Services
from switchboard.storage.team import EmailTaken, Missing, StillHolding, group_view, operator_view
from switchboard.team.models import ADMIN_FIELDS, GroupCreate, GroupPatch, OperatorInvite, OperatorPatch

if TYPE_CHECKING:  # who calls: a shared rule the API builds from the token
    from switchboard.domain.principal import Principal


def presented(item: dict[str, Any]) -> dict[str, Any]:
    """The operator as the API shows it: presence evaluated on read (an expired heartbeat is offline, even
    before the sweep has written it)."""
    view = operator_view(item)
    expires = int(view.get("presence_expires_at") or 0)
    if view.get("presence") != "offline" and expires <= int(clock.now().timestamp()):
        view["presence"] = "offline"
    view["presence_expires_at"] = (
        clock.iso(clock.from_unix(expires)) if view["presence"] != "offline" else None
    )
    return view


def load(services: Services, tenant_id: str, operator_id: str) -> dict[str, Any]:
    item = services.operators.get(tenant_id, operator_id, consistent=True)
    if item is None:
        raise NotFound("no such operator", operator_id=operator_id)
    return item


def invite(services: Services, principal: Principal, request: OperatorInvite) -> dict[str, Any]:
    principal.require_admin()
    t = principal.tenant_id
    email = str(request.email).lower()
    if services.operators.email_taken(t, email):
        raise Conflict("an operator of this tenant has this email", code="email_taken")
    try:
        invited = services.identity.invite(t, email, request.name, request.role)
    except IdentityTaken as taken:
        raise Conflict("this email already signs in to Switchboard", code="email_taken") from taken
    fields = {
        "operator_id": invited.operator_id,
        "username": invited.username,
        "name": request.name,
        "email": email,
        "role": request.role,
        "languages": request.languages,
        "capacity": request.capacity,
        "disabled": False,
        "invited_by": principal.operator_id,
    }
    try:
        item = services.operators.create(
            t, fields, list(dict.fromkeys(request.groups)), clock.iso(clock.now())
        )
    except EmailTaken as taken:  # invited twice at once: the second one is undone
        services.identity.remove(invited.username)
        raise Conflict("an operator of this tenant has this email", code="email_taken") from taken
    except Missing as missing:
        services.identity.remove(invited.username)
        raise InvalidInput("no such group", field="groups") from missing
    services.bus.publish(
        [
            DomainEvent(
                "operator.invited",
                t,
                {"operator_id": invited.operator_id, "role": request.role, "by": principal.operator_id},
            )
        ]
    )
    return presented(item)


def update(
    services: Services, principal: Principal, operator_id: str, request: OperatorPatch
) -> dict[str, Any]:
    t = principal.tenant_id
    given = request.model_dump(exclude_unset=True)
    if not principal.is_admin:
        if operator_id != principal.operator_id:
            raise Forbidden("operators edit only their own profile")
        for name in given:
            if name in ADMIN_FIELDS:
                raise Forbidden(f"{name} is changed by admins", forbidden_field=name)
    current = load(services, t, operator_id)
    if given.get("disabled") and operator_id == principal.operator_id:
        raise InvalidInput("an admin cannot disable themselves", field="disabled")
    groups = given.pop("groups", None)
    have = set(current.get("group_ids") or {})
    add = sorted(set(groups) - have) if groups is not None else []
    remove = sorted(have - set(groups)) if groups is not None else []
    fields = {k: v for k, v in given.items() if v is not None}
    try:
        item = services.operators.update(t, operator_id, fields, add, remove, clock.iso(clock.now()))
    except Missing as missing:
        raise InvalidInput("no such group", field="groups") from missing
    username = str(current.get("username") or operator_id)
    if "role" in fields and fields["role"] != current.get("role"):
        services.identity.set_role(username, fields["role"])
    events = [
        DomainEvent(
            "operator.updated",
            t,
            {
                "operator_id": operator_id,
                "fields": sorted(given) + (["groups"] if groups is not None else []),
                "by": principal.operator_id,
            },
        )
    ]
    if "disabled" in fields and bool(fields["disabled"]) != bool(current.get("disabled")):
        services.identity.set_disabled(username, bool(fields["disabled"]))
        if fields["disabled"]:
            services.operators.set_presence(t, operator_id, "offline", clock.iso(clock.now()), 0)
        events.append(
            DomainEvent(
                "operator.disabled" if fields["disabled"] else "operator.enabled",
                t,
                {"operator_id": operator_id, "by": principal.operator_id},
            )
        )
    services.bus.publish(events)
    return presented(services.operators.get(t, operator_id, consistent=True) or item)


def delete(services: Services, principal: Principal, operator_id: str) -> None:
    principal.require_admin()
    t = principal.tenant_id
    current = load(services, t, operator_id)
    try:
        services.operators.delete(t, operator_id)
    except Missing as missing:
        raise NotFound("no such operator", operator_id=operator_id) from missing
    except StillHolding as holding:
        raise Conflict(
            f"the operator still has {holding.count} open sessions: transfer them or disable the operator",
            code="operator_has_sessions",
            open_sessions=holding.count,
        ) from holding
    services.identity.remove(str(current.get("username") or operator_id))
    services.bus.publish(
        [DomainEvent("operator.deleted", t, {"operator_id": operator_id, "by": principal.operator_id})]
    )


def set_presence(services: Services, principal: Principal, status: str) -> dict[str, Any]:
    """online / away / offline. Repeating it is the heartbeat: online and away last the configured time
    (SWITCHBOARD_PRESENCE_TTL_SECONDS, 90 s; frontends beat every 30 s) past the last one. An event is
    published only when the presence changes."""
    t = principal.tenant_id
    now = clock.now()
    expires = int(now.timestamp()) + services.settings.presence_ttl_seconds
    try:
        before = services.operators.set_presence(t, principal.operator_id, status, clock.iso(now), expires)
    except Missing as missing:
        raise NotFound("you are not in this tenant's operator directory (or you are disabled)") from missing
    was = before.get("presence") or "offline"
    if was != "offline" and int(before.get("presence_expires_at") or 0) <= int(now.timestamp()):
        was = "offline"
    if was != status:
        services.bus.publish(
            [
                DomainEvent(
                    "presence.changed", t, {"operator_id": principal.operator_id, "from": was, "to": status}
                )
            ]
        )
    return presented(load(services, t, principal.operator_id))


def sweep_presence(services: Services) -> list[DomainEvent]:
    """The scheduled sweep: every operator whose heartbeat expired goes offline (a key range of the
    presence index per shard, never a scan); each change is an event."""
    from switchboard.storage.team import PRESENCE_SHARDS

    now = clock.now()
    now_epoch = int(now.timestamp())
    events: list[DomainEvent] = []
    for shard in range(PRESENCE_SHARDS):
        for item in services.operators.expired_presences(shard, now_epoch):
            tenant_id, operator_id = str(item["tenant_id"]), str(item["operator_id"])
            was = services.operators.expire_presence(tenant_id, operator_id, clock.iso(now), now_epoch)
            if was and was != "offline":
                events.append(
                    DomainEvent(
                        "presence.changed",
                        tenant_id,
                        {"operator_id": operator_id, "from": was, "to": "offline", "by": "heartbeat_expired"},
                    )
                )
    services.bus.publish(events)
    return events


# -- groups ------------------------------------------------------------------------------------------
def group_presented(item: dict[str, Any]) -> dict[str, Any]:
    return group_view(item)


def load_group(services: Services, tenant_id: str, group_id: str) -> dict[str, Any]:
    item = services.groups.get(tenant_id, group_id, consistent=True)
    if item is None:
        raise NotFound("no such group", group_id=group_id)
    return item


def create_group(services: Services, principal: Principal, request: GroupCreate) -> dict[str, Any]:
    principal.require_admin()
    t = principal.tenant_id
    group_id = ids.new_id()
    fields = {
        "group_id": group_id,
        "name": request.name,
        "routing_mode": request.routing_mode,
        "business_hours": request.business_hours.stored() if request.business_hours else None,
        "unanswered_alert_seconds": request.unanswered_alert_seconds,
    }
    try:
        item = services.groups.create(t, fields, list(dict.fromkeys(request.members)), clock.iso(clock.now()))
    except Missing as missing:
        raise InvalidInput("no such operator", field="members") from missing
    services.bus.publish(
        [DomainEvent("group.created", t, {"group_id": group_id, "by": principal.operator_id})]
    )
    return group_presented(item)


def update_group(
    services: Services, principal: Principal, group_id: str, request: GroupPatch
) -> dict[str, Any]:
    principal.require_admin()
    t = principal.tenant_id
    current = load_group(services, t, group_id)
    given = request.model_dump(exclude_unset=True)
    members = given.pop("members", None)
    have = set(current.get("members") or {})
    add = sorted(set(members) - have) if members is not None else []
    remove = sorted(have - set(members)) if members is not None else []
    fields: dict[str, Any] = {k: v for k, v in given.items() if k != "business_hours" and v is not None}
    if "business_hours" in given:
        fields["business_hours"] = request.business_hours.stored() if request.business_hours else None
    if "unanswered_alert_seconds" in given:  # null switches the group's alerts off
        fields["unanswered_alert_seconds"] = request.unanswered_alert_seconds
    try:
        item = services.groups.update(t, group_id, fields, add, remove, clock.iso(clock.now()))
    except Missing as missing:
        raise InvalidInput("no such operator", field="members") from missing
    services.bus.publish(
        [
            DomainEvent(
                "group.updated",
                t,
                {
                    "group_id": group_id,
                    "by": principal.operator_id,
                    "fields": sorted(request.model_dump(exclude_unset=True)),
                },
            )
        ]
    )
    return group_view(item)


def delete_group(services: Services, principal: Principal, group_id: str) -> None:
    principal.require_admin()
    t = principal.tenant_id
    load_group(services, t, group_id)
    if services.groups.waiting(t, group_id, 1).items:
        raise Conflict("sessions wait in this group's queue: transfer them first", code="group_has_waiting")
    try:
        services.groups.delete(t, group_id)
    except Missing as missing:
        raise NotFound("no such group", group_id=group_id) from missing
    services.bus.publish(
        [DomainEvent("group.deleted", t, {"group_id": group_id, "by": principal.operator_id})]
    )
