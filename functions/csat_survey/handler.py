"""csat_survey: see infra/declaration.py for its triggers.

``session.resolved`` sends the satisfaction survey where the channel asks for it and the customer can be
reached; ``message.received`` recognises a WhatsApp reply to it and stores the rating (docs/reports.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from switchboard.api.entries import BusEvent, bus_consumer

if TYPE_CHECKING:
    from switchboard.services import Services


def _survey(wiring: Services, event: BusEvent) -> dict[str, Any]:
    from switchboard.reports.survey_events import handle

    return {"published": len(handle(wiring, event.detail_type, event.detail))}


logger, metrics, handler = bus_consumer("csat_survey", _survey, prime="switchboard.reports.survey_events")
