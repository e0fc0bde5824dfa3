"""session_routing: see infra/declaration.py for its triggers.

Domain events on our bus route sessions (created, reopened), free capacity and drain queues (resolved,
assigned by hand, transferred, presence and operator changes); the EventBridge schedule sweeps expired
presence. One call into switchboard.team.events per event."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source

from switchboard.observability import function_metrics
from switchboard.services import services
from switchboard.team.events import handle

logger = Logger(service="session_routing")
tracer = Tracer(service="session_routing")
metrics = function_metrics("session_routing")


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: object) -> dict:
    published = handle(services(), event.detail_type, dict(event.detail or {}))
    return {"published": len(published)}
