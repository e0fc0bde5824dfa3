"""csat_survey: see infra/declaration.py for its triggers.

``session.resolved`` sends the satisfaction survey where the channel asks for it and the customer can be
reached; ``message.received`` recognises a WhatsApp reply to it and stores the rating (docs/reports.md)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from switchboard import snapstart
from switchboard.observability import function_metrics

logger = Logger(service="csat_survey")
metrics = function_metrics("csat_survey")
snapstart.prime("switchboard.reports.survey_events", "switchboard.services")


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict:
    from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent

    from switchboard.reports.survey_events import handle
    from switchboard.services import services

    bus_event = EventBridgeEvent(event)
    published = handle(services(), bus_event.detail_type, dict(bus_event.detail or {}))
    return {"published": len(published)}
