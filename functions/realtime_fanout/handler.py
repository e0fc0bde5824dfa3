"""realtime_fanout: the bus rule's target. One numbered domain event to the tenant's WebSocket connections
and webhook subscriptions (switchboard.realtime.fanout)."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from switchboard.observability import metrics
from switchboard.realtime.fanout import fan_out
from switchboard.services import services

logger = Logger(service="realtime_fanout")
metrics.set_default_dimensions(service="realtime_fanout")


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    result = fan_out(event, services())
    logger.debug("fanned out", detail_type=event.get("detail-type"), pushed=result.pushed, pruned=result.pruned,
                 deliveries=result.deliveries)
    return {"pushed": result.pushed, "pruned": result.pruned, "deliveries": result.deliveries}
