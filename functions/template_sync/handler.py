"""template_sync: see infra/declaration.py for its routes and triggers.

One function, three event shapes, each with its own entry (``ENTRIES``): API Gateway (POST /templates/sync),
the EventBridge schedule (every WhatsApp channel), and the ``webhook.template`` event on our bus (refresh the
template the webhook names)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from switchboard import snapstart
from switchboard.api.entries import API, serve
from switchboard.api.lazy import LazyResolver
from switchboard.observability import function_metrics

logger = Logger(service="template_sync")
metrics = function_metrics("template_sync")
app = LazyResolver(["template_sync"])
snapstart.register_before_snapshot(app.prime)
snapstart.prime("switchboard.templates.sync")

SCHEDULED = "Scheduled Event"
TEMPLATE_WEBHOOK = "webhook.template"
THROUGHPUT_WEBHOOK = "webhook.throughput"  # account_update, phone_number_quality_update: read the level again
SOURCE = "switchboard"  # our bus events' source (clients/eventbus.py), named here without importing boto3


def _scheduled(event: dict[str, Any], context: object) -> dict[str, Any]:  # noqa: ARG001 - an entry's signature
    """The hourly schedule: every WhatsApp channel."""
    from switchboard.services import services
    from switchboard.templates.sync import sync_everything

    return _summary(sync_everything(services()))


def _template_webhook(event: dict[str, Any], context: object) -> dict[str, Any]:  # noqa: ARG001
    """``webhook.template`` on our bus: refresh the template the webhook names."""
    from switchboard.services import services
    from switchboard.templates.sync import on_template_webhook

    result = on_template_webhook(services(), event.get("detail") or {})
    return _summary([result] if result else [])


def _account_webhook(event: dict[str, Any], context: object) -> dict[str, Any]:  # noqa: ARG001
    """``webhook.throughput`` on our bus (an ``account_update`` or ``phone_number_quality_update`` arrived):
    read the number's throughput level again."""
    from switchboard.channels.throughput import on_account_webhook
    from switchboard.services import services
    from switchboard.templates.sync import default_graph

    detail = event.get("detail") or {}
    changed = on_account_webhook(services(), str(detail.get("tenant_id") or ""), str(detail.get("channel_id") or ""),
                                 str(detail.get("field") or ""), default_graph(services()))
    return {"throughput_mps": changed.throughput_mps if changed else None}


def _summary(results: list[Any]) -> dict[str, Any]:
    return {"channels": len(results), "failed": sum(not r.ok for r in results)}


ENTRIES = {API: app.resolve, ("aws.events", SCHEDULED): _scheduled, (SOURCE, TEMPLATE_WEBHOOK): _template_webhook,
           (SOURCE, THROUGHPUT_WEBHOOK): _account_webhook}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    return serve(ENTRIES, event, context, logger)
