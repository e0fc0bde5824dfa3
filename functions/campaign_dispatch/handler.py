"""campaign_dispatch: see infra/declaration.py for its triggers.

Two event shapes: a campaign's EventBridge Scheduler schedule (input ``{"tenant_id", "campaign_id"}``):
dispatch its pending recipients at its rate; and ``message.received`` on our bus: the sender's latest
campaign recipient on that channel replied. The campaign code is imported by the first event, or before
the SnapStart snapshot."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from switchboard import snapstart
from switchboard.observability import function_metrics

logger = Logger(service="campaign_dispatch")
metrics = function_metrics("campaign_dispatch")
snapstart.prime("switchboard.campaigns.dispatch", "switchboard.services")

MESSAGE_RECEIVED = "message.received"


@logger.inject_lambda_context(correlation_id_path="campaign_id")
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from switchboard.campaigns.dispatch import dispatch, record_reply
    from switchboard.services import services

    if "detail-type" in event:
        if event["detail-type"] != MESSAGE_RECEIVED:
            logger.warning("unexpected event ignored", detail_type=event["detail-type"])
            return {"replied": None}
        return {"replied": record_reply(services(), event.get("detail") or {})}
    result = dispatch(services(), str(event["tenant_id"]), str(event["campaign_id"]),
                      getattr(context, "get_remaining_time_in_millis", None))
    return {"campaign_id": result.campaign_id, "outcome": result.outcome, "queued": result.queued,
            "skipped": result.skipped, "recovered": result.recovered}
