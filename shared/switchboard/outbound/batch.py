"""message_send's queue work: the outbound queue's batches, sent concurrently (switchboard.outbound.worker);
Powertools' BatchProcessor reports the records that failed, so only those come back (after their backoff).

Imported by the function's first batch (or before its SnapStart snapshot), not at cold start."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from switchboard.outbound.worker import send_batch
from switchboard.services import services


def handle_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    attempts = send_batch(event["Records"], services())
    # A processor per batch: it holds the batch's outcomes, and the local runtime runs several batches at
    # once in one process. A batch whose every record is retried is reported as such, not raised (Lambda
    # would retry it whole).
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event, record_handler=attempts.settle, processor=processor,
                                    context=context)
