"""report_aggregation: see infra/declaration.py for its triggers.

Domain events on our bus (sessions opened, resolved, reopened; messages in and out; SLA outcomes; CSAT
answers) are counted into the reports' day cells, each once (docs/reports.md)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from switchboard import snapstart
from switchboard.observability import function_metrics

logger = Logger(service="report_aggregation")
metrics = function_metrics("report_aggregation")
snapstart.prime("switchboard.reports.events", "switchboard.services")


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict:
    from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent

    from switchboard.reports.events import count
    from switchboard.services import services

    bus_event = EventBridgeEvent(event)
    counted = count(services(), bus_event.detail_type, dict(bus_event.detail or {}), bus_event.get_id)
    return {"counted": counted}
