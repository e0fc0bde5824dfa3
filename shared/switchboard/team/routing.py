"""Routing (docs/team.md): a new or reopened session goes to a group chosen by the tenant's rules, then to an
online member with free capacity by the group's mode, or waits in the group's queue; queues drain, oldest
first, when a member comes online or frees capacity.

Every assignment is one conditional transaction (storage/routing.py): the reads here only choose whom to
try first; a stale read costs a retry, never an operator over capacity or a session assigned twice."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.domain import sessions
from switchboard.services import Services
from switchboard.storage.dynamo import plain
from switchboard.storage.routing import Assignment, RoutingStore
from switchboard.storage.team import GroupRepository, OperatorRepository, TeamSettingsRepository
from switchboard.team import away, hours, rules

logger = Logger(service="session_routing", child=True)
_ATTEMPTS = 8
QUEUE_PAGE = 25


@dataclass
class Team:
    """The repositories routing works with (one table)."""

    store: RoutingStore
    operators: OperatorRepository
    groups: GroupRepository
    settings: TeamSettingsRepository

    @classmethod
    def of(cls, services: Services) -> Team:
        return cls(
            RoutingStore(services.table),
            OperatorRepository(services.table),
            GroupRepository(services.table),
            TeamSettingsRepository(services.table),
        )


def is_available(operator: dict[str, Any], group_id: str, now_epoch: int) -> bool:
    """Online (heartbeat not expired), enabled, a member of the group, below capacity."""
    return (
        operator.get("presence") == "online"
        and int(operator.get("presence_expires_at") or 0) > now_epoch
        and not operator.get("disabled")
        and group_id in (operator.get("group_ids") or {})
        and int(operator.get("open_count") or 0) < int(operator.get("capacity") or 0)
    )


def candidates(mode: str, available: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Whom to try, best first. round_robin: the member assigned longest ago (so assignments rotate);
    least_busy: the fewest open sessions, then the one assigned longest ago."""
    if mode == "least_busy":
        return sorted(
            available,
            key=lambda o: (int(o.get("open_count") or 0), o.get("last_assigned_at") or "", o["operator_id"]),
        )
    return sorted(available, key=lambda o: (o.get("last_assigned_at") or "", o["operator_id"]))


@dataclass
class _Pool:
    """The members a drain may still assign to, with their counts as the drain has changed them."""

    group_id: str
    mode: str
    now_epoch: int
    members: dict[str, dict[str, Any]] = field(default_factory=dict)

    def best(self) -> dict[str, Any] | None:
        ready = [m for m in self.members.values() if is_available(m, self.group_id, self.now_epoch)]
        return (candidates(self.mode, ready) or [None])[0]

    def took_one(self, operator_id: str, now_iso: str) -> None:
        member = self.members[operator_id]
        member["open_count"] = int(member.get("open_count") or 0) + 1
        member["last_assigned_at"] = now_iso


def _routed(tenant_id: str, session_id: str, operator_id: str, group_id: str, mode: str) -> DomainEvent:
    return DomainEvent(
        "session.routed",
        tenant_id,
        {
            "session_id": session_id,
            "operator_id": operator_id,
            "group_id": group_id,
            "mode": mode,
            "by": "routing",
        },
    )


def _arrival(session: dict[str, Any], reason: str) -> str:
    if reason == "reopened":
        return str(session.get("reopened_at") or session.get("last_inbound_at") or clock.iso(clock.now()))
    return str(session.get("created_at") or clock.iso(clock.now()))


def route_session(
    services: Services,
    tenant_id: str,
    session_id: str,
    contact_id: str | None = None,
    channel_id: str | None = None,
    reason: str = "created",
    to_group: str | None = None,
) -> list[DomainEvent]:
    """Route one session (session.created / session.reopened; ``to_group`` skips the rules). Safe to
    repeat."""
    team = Team.of(services)
    context = team.store.context(tenant_id, session_id, contact_id, channel_id)
    session = context.get("session")
    if session is None or session.get("status") == sessions.RESOLVED or session.get("counted_operator_id"):
        return []
    if session.get("queued_at"):  # a redelivery: it is already waiting
        return drain(services, tenant_id, str(session["queued_group_id"]))
    previous = session.get("operator_id")
    if previous and reason == "created":
        return []  # started by an operator (POST /sessions), or assigned by hand before routing ran
    if "contact" not in context and session.get("contact_id"):
        context["contact"] = team.store.contact(tenant_id, session["contact_id"])
    if "hours" not in context:
        context["hours"] = team.settings.channel_hours(tenant_id, session["channel_id"])
    now = clock.now()
    channel_hours = plain(context.get("hours") or {})
    channel_open = hours.is_open(channel_hours.get("business_hours"), now)
    group_id = to_group or rules.choose_group(
        plain(context.get("rules") or {}), session, plain(context.get("contact") or {}), channel_open
    )
    group = team.groups.get(tenant_id, group_id, consistent=True) if group_id else None
    if group is None:
        logger.info("session not routed: no group", session_id=session_id)
        return [DomainEvent("session.unrouted", tenant_id, {"session_id": session_id, "group_id": group_id})]
    events: list[DomainEvent] = []
    open_now = (
        hours.is_open(group.get("business_hours"), now) if group.get("business_hours") else channel_open
    )
    if open_now is False:
        events += away.send_once(services, tenant_id, session, channel_hours.get("away_message"), now)
    mode = str(group.get("routing_mode") or "round_robin")
    if mode != "offer" and open_now is not False:
        assigned = _assign_directly(team, tenant_id, session, group, mode, now)
        if assigned is not None:
            return [*events, assigned]
    queued = team.store.enqueue(tenant_id, session_id, group["group_id"], _arrival(session, reason), previous)
    if queued is Assignment.ASSIGNED:
        events.append(
            DomainEvent(
                "session.queued",
                tenant_id,
                {"session_id": session_id, "group_id": group["group_id"], "mode": mode},
            )
        )
    if mode == "offer":
        return events  # members take it (POST /sessions/{id}/take)
    # Whoever freed capacity while this session was being queued may have looked at the queue before the
    # entry was there: drain once more, now that it is.
    return events + drain(services, tenant_id, group["group_id"])


def _assign_directly(
    team: Team, tenant_id: str, session: dict[str, Any], group: dict[str, Any], mode: str, now: datetime
) -> DomainEvent | None:
    """Assign to the best available member, unless others already wait in the group's queue (they go
    first: the session then queues behind them)."""
    if team.groups.waiting(tenant_id, group["group_id"], 1).items:
        return None
    pool = _Pool(
        group["group_id"],
        mode,
        int(now.timestamp()),
        {m["operator_id"]: m for m in team.operators.get_many(tenant_id, group.get("members") or {})},
    )
    previous = session.get("operator_id")
    for _ in range(_ATTEMPTS):
        best = pool.best()
        if previous in pool.members and is_available(pool.members[previous], pool.group_id, pool.now_epoch):
            best = pool.members[previous]  # a reopened session goes back to its operator when they have room
        if best is None:
            return None
        now_iso = clock.iso(clock.now())
        result = team.store.assign(
            tenant_id,
            session["session_id"],
            best["operator_id"],
            group["group_id"],
            now_iso,
            pool.now_epoch,
            session.get("operator_id"),
        )
        if result is Assignment.ASSIGNED:
            return _routed(tenant_id, session["session_id"], best["operator_id"], group["group_id"], mode)
        if result is Assignment.SESSION_UNAVAILABLE:
            return None
        _refresh(team, tenant_id, pool, best["operator_id"], result)
    return None


def _refresh(team: Team, tenant_id: str, pool: _Pool, operator_id: str, result: Assignment) -> None:
    """After a refused try: the member as it is now (a member refused yet looking available is dropped,
    so a drain never spins on it)."""
    if result is Assignment.CONFLICT:
        time.sleep(random.uniform(0.005, 0.05))
    fresh = team.operators.get(tenant_id, operator_id, consistent=True)
    if fresh is None or (
        result is Assignment.OPERATOR_UNAVAILABLE and is_available(fresh, pool.group_id, pool.now_epoch)
    ):
        pool.members.pop(operator_id, None)
    else:
        pool.members[operator_id] = fresh


def drain(services: Services, tenant_id: str, group_id: str) -> list[DomainEvent]:
    """Assign the group's waiting sessions, oldest first, while an online member has free capacity."""
    team = Team.of(services)
    group = team.groups.get(tenant_id, group_id, consistent=True)
    if group is None or group.get("routing_mode") == "offer":
        return []
    mode = str(group.get("routing_mode") or "round_robin")
    now = clock.now()
    pool = _Pool(
        group_id,
        mode,
        int(now.timestamp()),
        {m["operator_id"]: m for m in team.operators.get_many(tenant_id, group.get("members") or {})},
    )
    events: list[DomainEvent] = []
    cursor: str | None = None
    while pool.best() is not None:
        page = team.groups.waiting(tenant_id, group_id, QUEUE_PAGE, cursor)
        for entry in page.items:
            if not _assign_entry(team, tenant_id, pool, entry, events):
                return events
        cursor = page.cursor
        if not cursor:
            break
    return events


def _assign_entry(
    team: Team, tenant_id: str, pool: _Pool, entry: dict[str, Any], events: list[DomainEvent]
) -> bool:
    """Try one waiting session; False once no member can take anything more."""
    session_id = str(entry["session_id"])
    for _ in range(_ATTEMPTS):
        best = pool.best()
        if best is None:
            return False
        now_iso = clock.iso(clock.now())
        result = team.store.assign(
            tenant_id,
            session_id,
            best["operator_id"],
            pool.group_id,
            now_iso,
            pool.now_epoch,
            None,
            queued_at=str(entry["arrived_at"]),
        )
        if result is Assignment.ASSIGNED:
            pool.took_one(best["operator_id"], now_iso)
            events.append(_routed(tenant_id, session_id, best["operator_id"], pool.group_id, pool.mode))
            return True
        if result is Assignment.ENTRY_GONE:
            return True  # another drain assigned it
        if result is Assignment.SESSION_UNAVAILABLE:
            # resolved or assigned by hand while it waited: it leaves the queue
            team.store.dequeue(tenant_id, session_id, pool.group_id, str(entry["arrived_at"]))
            return True
        _refresh(team, tenant_id, pool, best["operator_id"], result)
    return True


def drain_groups_of(services: Services, tenant_id: str, operator_id: str) -> list[DomainEvent]:
    """Capacity or presence of an operator changed: each of its groups' queues may move."""
    operator = OperatorRepository(services.table).get(tenant_id, operator_id, consistent=True)
    events: list[DomainEvent] = []
    for group_id in sorted((operator or {}).get("group_ids") or {}):
        events += drain(services, tenant_id, group_id)
    return events


def release(services: Services, tenant_id: str, session_id: str) -> list[DomainEvent]:
    """session.resolved: the operator's capacity is freed (once) and its groups' queues drain; a session
    resolved while it waited leaves its queue."""
    team = Team.of(services)
    session = team.store.session(tenant_id, session_id)
    if session is None:
        return []
    if session.get("queued_at"):
        team.store.dequeue(tenant_id, session_id, str(session["queued_group_id"]), str(session["queued_at"]))
    holder = session.get("counted_operator_id")
    if not holder:
        return []
    team.store.release(tenant_id, session_id, str(holder))
    return drain_groups_of(services, tenant_id, str(holder))


def follow_assignment(services: Services, tenant_id: str, session_id: str) -> list[DomainEvent]:
    """session.assigned (by hand, POST /sessions/{id}/assign): the capacity follows the session to its new
    operator; a session handed to a group only is queued there; the old operator's groups drain."""
    team = Team.of(services)
    session = team.store.session(tenant_id, session_id)
    if session is None or session.get("status") == sessions.RESOLVED:
        return []
    holder, operator_id = session.get("counted_operator_id"), session.get("operator_id")
    events: list[DomainEvent] = []
    if operator_id and holder != operator_id:
        if session.get("queued_at"):
            team.store.dequeue(
                tenant_id, session_id, str(session["queued_group_id"]), str(session["queued_at"])
            )
        team.store.move_hold(tenant_id, session_id, holder, str(operator_id))
    elif not operator_id and holder:
        team.store.release(tenant_id, session_id, str(holder))
        if session.get("group_id"):
            events += route_session(
                services, tenant_id, session_id, reason="assigned", to_group=str(session["group_id"])
            )
    if holder and holder != operator_id:
        events += drain_groups_of(services, tenant_id, str(holder))
    return events
