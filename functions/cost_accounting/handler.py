"""cost_accounting: see infra/declaration.py for its trigger.

``message.status_changed`` on our bus: a delivered (or read) message with Meta's pricing is counted once in its
channel's month (switchboard.pricing.accounting). A redelivered event counts nothing more."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from switchboard import snapstart
from switchboard.observability import function_metrics

logger = Logger(service="cost_accounting")
metrics = function_metrics("cost_accounting")
snapstart.prime("switchboard.pricing.accounting", "switchboard.services")


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: object) -> dict:
    from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent
    from switchboard.pricing.accounting import count_status
    from switchboard.services import services

    bus_event = EventBridgeEvent(event)
    detail = dict(bus_event.detail or {})
    counted = count_status(services(), str(detail.get("tenant_id") or ""), detail)
    return {"counted": counted}
