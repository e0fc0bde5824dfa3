"""campaign_dispatch: see infra/declaration.py for its triggers.

Two event shapes, each with its own entry (``ENTRIES``): a campaign's EventBridge Scheduler schedule (input
``{"tenant_id", "campaign_id"}``): dispatch its pending recipients at its rate; and ``message.received`` on
our bus: the sender's latest campaign recipient on that channel replied."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from switchboard import snapstart
from switchboard.api.entries import INVOKE, serve

from switchboard.observability import function_metrics

logger = Logger(service="campaign_dispatch")
metrics = function_metrics("campaign_dispatch")
snapstart.prime("switchboard.campaigns.dispatch", "switchboard.services")

MESSAGE_RECEIVED = "message.received"
SOURCE = "switchboard"  # our bus events' source (clients/eventbus.py), named here without importing boto3


def _schedule(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A campaign's schedule fired (its input: tenant and campaign)."""
    from switchboard.campaigns.dispatch import dispatch
    from switchboard.services import services

    result = dispatch(services(), str(event["tenant_id"]), str(event["campaign_id"]),
                      getattr(context, "get_remaining_time_in_millis", None))
    return {"campaign_id": result.campaign_id, "outcome": result.outcome, "queued": result.queued,
            "skipped": result.skipped, "recovered": result.recovered}


def _message_received(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001
    """``message.received`` on our bus: the sender's latest campaign recipient on the channel replied."""
    from switchboard.campaigns.dispatch import record_reply
    from switchboard.services import services

    return {"replied": record_reply(services(), event.get("detail") or {})}


ENTRIES = {INVOKE: _schedule, (SOURCE, MESSAGE_RECEIVED): _message_received}


@logger.inject_lambda_context(correlation_id_path="campaign_id")
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve(ENTRIES, event, context, logger)  # type: ignore[no-any-return]
