"""session_routing: see infra/declaration.py for its triggers.

Domain events on our bus route sessions (created, reopened), free capacity and drain queues (resolved,
assigned by hand, transferred, presence and operator changes); the EventBridge schedule sweeps expired
presence. One call into switchboard.team.events per event, imported by the first event (or before a
SnapStart snapshot)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from switchboard import snapstart
from switchboard.observability import function_metrics

logger = Logger(service="session_routing")
metrics = function_metrics("session_routing")
snapstart.prime("switchboard.team.events", "switchboard.services")


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict:
    from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent

    from switchboard.services import services
    from switchboard.team.events import handle

    bus_event = EventBridgeEvent(event)
    published = handle(services(), bus_event.detail_type, dict(bus_event.detail or {}))
    return {"published": len(published)}
