"""message_send: see infra/declaration.py for its routes and triggers.

One function, two event shapes: API Gateway requests (accept a send) and SQS batches from the outbound
queue (the send worker). Records of a batch are sent concurrently; Powertools' BatchProcessor reports
the ones that failed, so only those come back (after their backoff)."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from switchboard.api.app import build_resolver
from switchboard.api.routes import canned_responses, sending
from switchboard.observability import function_metrics
from switchboard.outbound.worker import send_batch
from switchboard.services import services

logger = Logger(service="message_send")
tracer = Tracer(service="message_send")
metrics = function_metrics("message_send")
app = build_resolver([sending.router, canned_responses.send_router])


def _is_queue_batch(event: dict[str, Any]) -> bool:
    records = event.get("Records")
    return bool(records) and records[0].get("eventSource") == "aws:sqs"


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    if _is_queue_batch(event):
        attempts = send_batch(event["Records"], services())
        # A processor per batch: it holds the batch's outcomes, and the local runtime runs several batches
        # at once in one process. A batch whose every record is retried is reported as such, not raised
        # (Lambda would retry it whole).
        processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        return process_partial_response(event=event, record_handler=attempts.settle, processor=processor,
                                        context=context)
    return app.resolve(event, context)
