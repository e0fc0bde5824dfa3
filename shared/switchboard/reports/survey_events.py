"""csat_survey's entry into the domain: ``session.resolved`` sends the survey, ``message.received``
recognises a WhatsApp reply to it (an explicit table)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.errors import NotFound
from switchboard.reports import csat
from switchboard.services import Services

logger = Logger(service="csat_survey", child=True)

EVENTS = ("session.resolved", "message.received")


def _resolved(services: Services, t: str, d: dict[str, Any]) -> list[DomainEvent]:
    return csat.send_survey(services, t, str(d["session_id"]), clock.now())


def _received(services: Services, t: str, d: dict[str, Any]) -> list[DomainEvent]:
    answer = csat.rating_of_reply(d)
    if answer is None:
        return []
    session_id, rating = answer
    try:
        csat.record(services, t, session_id, rating, None, contact_id=d.get("contact_id"))
    except NotFound:
        logger.info("survey reply for no survey", session_id=session_id)
    return []  # record publishes session.csat_received itself


ENTRIES: dict[str, Callable[[Services, str, dict[str, Any]], list[DomainEvent]]] = {
    "session.resolved": _resolved,
    "message.received": _received,
}


def handle(services: Services, detail_type: str, detail: dict[str, Any]) -> list[DomainEvent]:
    entry = ENTRIES.get(detail_type)
    if entry is None:
        return []
    events = entry(services, str(detail["tenant_id"]), detail)
    services.bus.publish(events)
    return events
