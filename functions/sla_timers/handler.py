"""sla_timers: see infra/declaration.py for its triggers.

Two event shapes (``ENTRIES``): the domain events on our bus that move a session's SLA timers and its
unanswered alert (customer messages, operators' replies, resolve, reopen, no reply needed, the session's
group changing); and a one-time EventBridge Scheduler schedule (input ``{"kind": "sla_due" |
"unanswered_alert", "tenant_id", "session_id", ...}``) at a timer's due time or an alert's time."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from switchboard import snapstart
from switchboard.api.entries import INVOKE, serve
from switchboard.observability import function_metrics

logger = Logger(service="sla_timers")
metrics = function_metrics("sla_timers")
snapstart.prime("switchboard.sla.consumer", "switchboard.services")

SOURCE = "switchboard"  # our bus events' source (clients/eventbus.py), named here without importing boto3
# The detail types followed (infra/declaration.py SLA_EVENTS; switchboard.sla.consumer.FACTS).
EVENTS = ("message.received", "message.sent", "session.resolved", "session.reopened", "session.no_reply_needed",
          "session.routed", "session.queued", "session.assigned", "session.transferred")


def _event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A domain event; the timers' schedules fire back into this function (the ARN it was invoked by)."""
    from switchboard.services import services
    from switchboard.sla.consumer import handle

    wiring = services()
    published = handle(wiring, wiring.scheduler_for(context.invoked_function_arn), str(event["detail-type"]),
                       dict(event.get("detail") or {}))
    return {"published": len(published)}


def _schedule(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001
    from switchboard.services import services
    from switchboard.sla.consumer import fire

    return fire(services(), event)


ENTRIES = {INVOKE: _schedule, **{(SOURCE, detail_type): _event for detail_type in EVENTS}}


@logger.inject_lambda_context(correlation_id_path="session_id")
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve(ENTRIES, event, context, logger)  # type: ignore[no-any-return]
