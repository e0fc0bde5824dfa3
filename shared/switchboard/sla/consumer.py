"""sla_timers' entry into the domain (docs/sla.md): domain events move a session's SLA timers and its
unanswered alert; each running timer has a one-time EventBridge Scheduler schedule at its due time, fired
back into this function, which marks the breach only if that timer still runs with that due time.

Every write on the session is conditional (the timers under their revision, the alert on its state), so a
redelivered event or a schedule that fires twice changes nothing and publishes nothing twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.clients.scheduler import Scheduler
from switchboard.domain import sessions as session_rules
from switchboard.services import Services
from switchboard.sla import alerts, schedules
from switchboard.sla.schedules import ALERT, DUE
from switchboard.sla.timers import Policy, Timers, running

logger = Logger(service="sla_timers", child=True)

AWAY_SENDER = "away_message"  # team/away.py: the automatic away message is not an operator's reply
_ATTEMPTS = 5

# The domain events the function follows (infra/declaration.py SLA_EVENTS is this table's keys).
Fact = Callable[[Timers, Policy | None, dict[str, Any], datetime], None]


def _customer_message(timers: Timers, policy: Policy | None, d: dict[str, Any], at: datetime) -> None:
    timers.customer_message(policy, at)


def _operator_reply(timers: Timers, policy: Policy | None, d: dict[str, Any], at: datetime) -> None:
    timers.operator_reply(at)


def _resolved(timers: Timers, policy: Policy | None, d: dict[str, Any], at: datetime) -> None:
    timers.resolved(at)


def _no_reply_needed(timers: Timers, policy: Policy | None, d: dict[str, Any], at: datetime) -> None:
    timers.no_reply_needed(at)


def _nothing(timers: Timers, policy: Policy | None, d: dict[str, Any], at: datetime) -> None:
    """The session's group changed (routed, queued, assigned, transferred): only the policy may change."""


FACTS: dict[str, Fact] = {
    "message.received": _customer_message,
    "message.sent": _operator_reply,
    "session.resolved": _resolved,
    "session.reopened": _nothing,  # the new open period is read from the session itself
    "session.no_reply_needed": _no_reply_needed,
    "session.routed": _nothing,
    "session.queued": _nothing,
    "session.assigned": _nothing,
    "session.transferred": _nothing,
}


def _period(session: dict[str, Any]) -> str:
    return str(session.get("reopened_at") or session["created_at"])


def _moment(detail: dict[str, Any], *names: str) -> datetime:
    for name in names:
        if detail.get(name):
            return clock.parse_iso(str(detail[name]))
    return clock.now()


def _when(detail_type: str, detail: dict[str, Any]) -> datetime:
    """When it happened: the customer's message as it was stamped, the reply as the operator sent it, the
    rest as published."""
    if detail_type == "message.received":
        return _moment(detail.get("message") or {}, "sent_at") if (detail.get("message") or {}).get(
            "sent_at") else _moment(detail, "at")
    if detail_type == "message.sent":
        return _moment(detail, "created_at", "at")
    return _moment(detail, "at")


def _applies(detail_type: str, detail: dict[str, Any]) -> bool:
    if not detail.get("session_id"):
        return False
    if detail_type == "message.received":
        return not detail.get("suppressed")
    if detail_type == "message.sent":  # an operator's reply, not a campaign's or the away message
        return bool(detail.get("operator_id")) and detail.get("operator_id") != AWAY_SENDER
    return True


def handle(services: Services, scheduler: Scheduler, detail_type: str, detail: dict[str, Any]) -> list[DomainEvent]:
    """Apply one domain event to its session's timers and alert; publish what happened. ``scheduler``
    makes the schedules that fire back into this function."""
    fact = FACTS.get(detail_type)
    if fact is None or not _applies(detail_type, detail):
        return []
    t, session_id = str(detail["tenant_id"]), str(detail["session_id"])
    at = _when(detail_type, detail)
    events: list[DomainEvent] = []
    for _ in range(_ATTEMPTS):
        session = services.session_sla.session(t, session_id)
        if session is None:
            return []
        context = services.session_sla.context(t, session.get("group_id"), str(session["channel_id"]))
        policy = Policy.of(context["group_policy"]) or Policy.of(context["channel_policy"])
        hours = (context["group"] or {}).get("business_hours") or context["channel_hours"]
        before = session.get("sla")
        timers = Timers(before, session_id, hours)
        if before and before.get("period") != _period(session):
            timers.reopened(policy, _period(session), at)
        waiting = (clock.parse_iso(_period(session)) if session.get("unanswered")
                   and detail_type != "message.received" else None)
        timers.attach(policy, _period(session), at, waiting)
        if session.get("status") == session_rules.RESOLVED:
            timers.resolved(at)
        else:
            fact(timers, policy, detail, at)
        change = timers.change()
        if change.sla == (before or {}) or (not before and not change.sla.get("policy_id")):
            break
        if services.session_sla.save(t, session_id, change.sla, (before or {}).get("rev"), change.breached):
            _reschedule(scheduler, t, session_id, before, change.sla)
            events = [DomainEvent(kind, t, body) for kind, body in change.events]
            break
    else:
        raise RuntimeError("the session's SLA timers kept changing; retried")
    events += alerts.follow(services, scheduler, detail_type, detail, session, context, at)
    services.bus.publish(events)
    return events


def _reschedule(scheduler: Scheduler, tenant_id: str, session_id: str, before: dict[str, Any] | None,
                after: dict[str, Any]) -> None:
    """A schedule for each timer that now runs (replaced when its due time moved); the schedules of
    timers that stopped are deleted (one that fires anyway finds nothing to breach)."""
    was, now = running(before), running(after)
    for target, due_at in now.items():
        if was.get(target) == due_at:
            continue
        schedules.put(scheduler, schedules.name(DUE, tenant_id, session_id, target), clock.parse_iso(due_at),
                      {"kind": DUE, "tenant_id": tenant_id, "session_id": session_id, "target": target,
                       "due_at": due_at})
    for target in was.keys() - now.keys():
        schedules.delete(scheduler, schedules.name(DUE, tenant_id, session_id, target))


def fire(services: Services, payload: dict[str, Any]) -> dict[str, Any]:
    """A schedule fired (its input names what for)."""
    if payload.get("kind") == ALERT:
        return alerts.fire(services, payload)
    if payload.get("kind") != DUE:
        logger.warning("unknown schedule input ignored", kind=str(payload.get("kind")))
        return {"ignored": True}
    t, session_id = str(payload["tenant_id"]), str(payload["session_id"])
    target, due_at = str(payload["target"]), str(payload["due_at"])
    now = clock.now()
    for _ in range(_ATTEMPTS):
        session = services.session_sla.session(t, session_id)
        if session is None:
            return {"breached": False}
        before = session.get("sla") or {}
        timers = Timers(before, session_id, None)
        timers.due(target, due_at, now)
        change = timers.change()
        if not change.events:
            return {"breached": False}  # met, paused, stopped, moved, or breached already: nothing to do
        if services.session_sla.save(t, session_id, change.sla, before.get("rev"), True):
            events = [DomainEvent(kind, t, body) for kind, body in change.events]
            services.bus.publish(events)
            logger.info("sla breached", session_id=session_id, target=target)
            return {"breached": True}
    raise RuntimeError("the session's SLA timers kept changing; retried")

