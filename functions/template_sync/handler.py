"""template_sync: see infra/declaration.py for its routes and triggers.

One function, three event shapes: API Gateway (POST /templates/sync), the EventBridge schedule (every
WhatsApp channel), and the ``webhook.template`` event on our bus (refresh the template the webhook names).
Each is imported by the first event of its kind, or before the SnapStart snapshot."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from switchboard import snapstart
from switchboard.api.lazy import LazyResolver
from switchboard.observability import function_metrics

logger = Logger(service="template_sync")
metrics = function_metrics("template_sync")
app = LazyResolver(["template_sync"])
snapstart.register_before_snapshot(app.prime)
snapstart.prime("switchboard.templates.sync")

SCHEDULED = "Scheduled Event"
TEMPLATE_WEBHOOK = "webhook.template"


def _bus_event(event: dict[str, Any]) -> dict[str, Any]:
    from switchboard.services import services
    from switchboard.templates.sync import on_template_webhook, sync_everything

    detail_type = event.get("detail-type")
    if detail_type == SCHEDULED:
        results = sync_everything(services())
    elif detail_type == TEMPLATE_WEBHOOK:
        result = on_template_webhook(services(), event.get("detail") or {})
        results = [result] if result else []
    else:
        logger.warning("unexpected event ignored", detail_type=detail_type, source=event.get("source"))
        return {"channels": 0, "failed": 0}
    return {"channels": len(results), "failed": sum(not r.ok for r in results)}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    if "detail-type" in event:
        return _bus_event(event)
    return app.resolve(event, context)
