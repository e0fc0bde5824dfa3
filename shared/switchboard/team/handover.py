"""Operators' side of routing: taking a waiting session (``offer`` groups, or any queue one belongs to) and
transferring a session to another operator or group, with who, from, to and when on its timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from switchboard import clock, ids
from switchboard.clients.eventbus import DomainEvent
from switchboard.domain import sessions
from switchboard.errors import Conflict, Forbidden, InvalidInput, NotFound
from switchboard.services import Services
from switchboard.storage.routing import Assignment, RoutingStore
from switchboard.team.models import TransferRequest

if TYPE_CHECKING:  # who calls: a shared rule the API builds from the token
    from switchboard.domain.principal import Principal


def _session(services: Services, tenant_id: str, session_id: str) -> dict[str, Any]:
    session = services.sessions.get(tenant_id, session_id)
    if session is None:
        raise NotFound("no such session", session_id=session_id)
    return session


def take(services: Services, principal: Principal, session_id: str) -> dict[str, Any]:
    """The first member who takes a waiting session gets it (one conditional transaction: the queue
    entry, the member's capacity, the session still unassigned)."""
    t = principal.tenant_id
    session = _session(services, t, session_id)
    if not session.get("queued_at"):
        raise Conflict("the session is not waiting in a queue", code="session_not_waiting")
    group_id = str(session["queued_group_id"])
    now = clock.now()
    result = RoutingStore(services.table).assign(
        t,
        session_id,
        principal.operator_id,
        group_id,
        clock.iso(now),
        int(now.timestamp()),
        None,
        queued_at=str(session["queued_at"]),
        require_online=False,
        by=principal.operator_id,
    )
    if result is Assignment.OPERATOR_UNAVAILABLE:
        operator = services.operators.get(t, principal.operator_id, consistent=True)
        if operator is None or group_id not in (operator.get("group_ids") or {}):
            raise Forbidden("only the group's members take its sessions")
        if operator.get("disabled"):
            raise Forbidden("you are disabled")
        raise Conflict(
            "you are at your capacity",
            code="operator_at_capacity",
            capacity=int(operator.get("capacity") or 0),
        )
    if result is not Assignment.ASSIGNED:
        raise Conflict("someone took the session first", code="session_taken")
    services.bus.publish(
        [
            DomainEvent(
                "session.taken",
                t,
                {"session_id": session_id, "group_id": group_id, "operator_id": principal.operator_id},
            )
        ]
    )
    return _session(services, t, session_id)


def transfer(
    services: Services, principal: Principal, session_id: str, request: TransferRequest
) -> dict[str, Any]:
    """To an operator (within their capacity) or to a group (its queue; routing drains it). Only the
    assigned operator or an admin transfers."""
    t = principal.tenant_id
    session = _session(services, t, session_id)
    if session.get("status") == sessions.RESOLVED:
        raise Conflict("the session is resolved", code="session_resolved")
    if not principal.is_admin and session.get("operator_id") != principal.operator_id:
        raise Forbidden("only the assigned operator or an admin may transfer this session")
    if request.operator_id and services.operators.get(t, request.operator_id) is None:
        raise InvalidInput("no such operator", field="operator_id")
    if request.group_id and services.groups.get(t, request.group_id) is None:
        raise InvalidInput("no such group", field="group_id")
    if request.operator_id and request.operator_id == session.get("operator_id"):
        raise InvalidInput("the session is already this operator's", field="operator_id")
    now_iso = clock.iso(clock.now())
    entry_id = ids.new_id()
    source = {"operator_id": session.get("operator_id"), "group_id": session.get("group_id")}
    target = {
        "operator_id": request.operator_id,
        "group_id": request.group_id or (session.get("group_id") if request.operator_id else None),
    }
    text = (
        f"Transferred from {source['operator_id'] or source['group_id'] or 'nobody'} to "
        f"{target['operator_id'] or target['group_id']} by {principal.operator_id}"
    )
    timeline = {
        "message_id": entry_id,
        "session_id": session_id,
        "tenant_id": t,
        "direction": "internal",
        "kind": "system",
        "text": text,
        "sent_at": now_iso,
        "created_at": now_iso,
        "content": {
            "event": "transferred",
            "by": principal.operator_id,
            "from": source,
            "to": target,
            "at": now_iso,
            **({"note": request.note} if request.note else {}),
        },
    }
    store = RoutingStore(services.table)
    waiting_in = (
        (str(session["queued_group_id"]), str(session["queued_at"])) if session.get("queued_at") else None
    )
    result = store.transfer(
        t,
        session_id,
        session.get("counted_operator_id"),
        request.operator_id,
        target["group_id"],
        now_iso,
        timeline,
        waiting_in,
    )
    if result is Assignment.OPERATOR_UNAVAILABLE:
        raise Conflict("that operator is at capacity or disabled", code="operator_at_capacity")
    if result is not Assignment.ASSIGNED:
        raise Conflict("the session changed meanwhile; try again", code="session_changed")
    services.bus.publish(
        [
            DomainEvent(
                "session.transferred",
                t,
                {
                    "session_id": session_id,
                    "from": source,
                    "to": target,
                    "by": principal.operator_id,
                    "at": now_iso,
                    "from_operator_id": session.get("counted_operator_id"),
                },
            )
        ]
    )
    return _session(services, t, session_id)
