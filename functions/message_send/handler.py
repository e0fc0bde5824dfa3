"""message_send: see infra/declaration.py for its routes and triggers.

One function, two event shapes: API Gateway requests (accept a send) and SQS batches from the outbound
queue (the send worker, switchboard/outbound/batch.py). Each is imported by the first event of its kind,
or before the SnapStart snapshot."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from switchboard import snapstart
from switchboard.api.lazy import LazyResolver
from switchboard.observability import function_metrics

logger = Logger(service="message_send")
metrics = function_metrics("message_send")
app = LazyResolver(["sending", "canned_responses:send_router"])
snapstart.register_before_snapshot(app.prime)
snapstart.prime("switchboard.outbound.batch")


def _is_queue_batch(event: dict[str, Any]) -> bool:
    records = event.get("Records")
    return bool(records) and records[0].get("eventSource") == "aws:sqs"


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    if _is_queue_batch(event):
        from switchboard.outbound.batch import handle_batch

        return handle_batch(event, context)
    return app.resolve(event, context)
