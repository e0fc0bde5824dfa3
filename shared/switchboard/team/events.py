"""session_routing's entry into the domain: one bus event, by its detail type (an explicit table)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from switchboard.clients.eventbus import DomainEvent
from switchboard.services import Services
from switchboard.team import operators, routing

Entry = Callable[[Services, str, dict[str, Any]], list[DomainEvent]]


def _created(services: Services, t: str, d: dict[str, Any]) -> list[DomainEvent]:
    return routing.route_session(services, t, d["session_id"], d.get("contact_id"), d.get("channel_id"))


def _reopened(services: Services, t: str, d: dict[str, Any]) -> list[DomainEvent]:
    return routing.route_session(services, t, d["session_id"], reason="reopened")


def _resolved(services: Services, t: str, d: dict[str, Any]) -> list[DomainEvent]:
    return routing.release(services, t, d["session_id"])


def _assigned(services: Services, t: str, d: dict[str, Any]) -> list[DomainEvent]:
    return routing.follow_assignment(services, t, d["session_id"])


def _transferred(services: Services, t: str, d: dict[str, Any]) -> list[DomainEvent]:
    events: list[DomainEvent] = []
    target_group = (d.get("to") or {}).get("group_id")
    if target_group and not (d.get("to") or {}).get("operator_id"):
        events += routing.drain(services, t, target_group)
    if d.get("from_operator_id"):
        events += routing.drain_groups_of(services, t, d["from_operator_id"])
    return events


def _operator_changed(services: Services, t: str, d: dict[str, Any]) -> list[DomainEvent]:
    """Online, enabled, more capacity or new groups: the operator's groups' queues may move."""
    if d.get("to") in ("away", "offline"):
        return []
    return routing.drain_groups_of(services, t, d["operator_id"])


def _group_changed(services: Services, t: str, d: dict[str, Any]) -> list[DomainEvent]:
    return routing.drain(services, t, d["group_id"])


ENTRIES: dict[str, Entry] = {
    "session.created": _created,
    "session.reopened": _reopened,
    "session.resolved": _resolved,
    "session.assigned": _assigned,
    "session.transferred": _transferred,
    "presence.changed": _operator_changed,
    "operator.updated": _operator_changed,
    "operator.enabled": _operator_changed,
    "group.updated": _group_changed,
}
SCHEDULED = "Scheduled Event"  # the presence sweep


def handle(services: Services, detail_type: str, detail: dict[str, Any]) -> list[DomainEvent]:
    """Apply one event and publish what routing did."""
    if detail_type == SCHEDULED:
        return operators.sweep_presence(services)
    entry = ENTRIES.get(detail_type)
    if entry is None:
        return []
    events = entry(services, str(detail["tenant_id"]), detail)
    services.bus.publish(events)
    return events
