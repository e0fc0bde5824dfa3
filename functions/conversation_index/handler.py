"""conversation_index: see infra/declaration.py for its triggers.

Domain events on our bus (messages received and sent, notes, sessions created, contacts changed or
anonymised) keep the conversation search's index (docs/search.md), off the inbound hot path. One call into
switchboard.sessions.search per event; every write is idempotent, so EventBridge's retries are safe and
what still fails lands in the function's dead-letter queue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from switchboard import snapstart
from switchboard.observability import function_metrics

logger = Logger(service="conversation_index")
metrics = function_metrics("conversation_index")
snapstart.prime("switchboard.sessions.search", "switchboard.services")


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict:
    from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent
    from switchboard.services import services
    from switchboard.sessions.search import handle

    bus_event = EventBridgeEvent(event)
    # no log line per event: CloudWatch bills its bytes on every message (docs/search.md)
    return {"entries": handle(services(), bus_event.detail_type, dict(bus_event.detail or {}))}
