"""realtime_fanout: the bus rule's target. One numbered domain event to the tenant's WebSocket connections
and webhook subscriptions (switchboard.realtime.fanout, imported by the first event, or before the SnapStart
snapshot)."""

from aws_lambda_powertools import Logger

from switchboard import snapstart
from switchboard.observability import function_metrics

logger = Logger(service="realtime_fanout")
metrics = function_metrics("realtime_fanout")
snapstart.prime("switchboard.realtime.fanout", "switchboard.services")


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    from switchboard.realtime.fanout import fan_out
    from switchboard.services import services

    result = fan_out(event, services())
    logger.debug("fanned out", detail_type=event.get("detail-type"), pushed=result.pushed, pruned=result.pruned,
                 deliveries=result.deliveries)
    return {"pushed": result.pushed, "pruned": result.pruned, "deliveries": result.deliveries}
