"""contact_resolution's work: the inbound FIFO queue, one record at a time, in each sender's order.

Imported by the function's first batch (or before its SnapStart snapshot), not at cold start."""

from __future__ import annotations

from functools import partial
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from switchboard.inbound.processing import process_event
from switchboard.services import services
from switchboard.domain.inbound_queue import parse_queued

def correlation_id(record: SQSRecord) -> str:
    """The trace the webhook's request started (SQS carries it in ``AWSTraceHeader``), so the webhook's
    logs and this record's share one id; the queue message id when there is none."""
    header = record.attributes.aws_trace_header or ""
    root = next((part[len("Root="):] for part in header.split(";") if part.startswith("Root=")), None)
    return root or record.message_id


def record_handler(record: SQSRecord, logger: Logger) -> None:
    logger.set_correlation_id(correlation_id(record))
    event = parse_queued(record.body)
    process_event(event, services())
    logger.debug("event applied", kind=event.kind, channel_id=event.channel_id)


def handle_batch(event: dict[str, Any], context: Any, logger: Logger) -> dict[str, Any]:
    """``logger``: the function's own (its level and keys), for each record's correlation id."""
    # A failed record fails the rest of its group only, so one customer's events stay in order. A processor
    # per batch: it holds the batch's outcomes, and the local runtime may run batches at once in one process.
    processor = SqsFifoPartialProcessor(skip_group_on_error=True)
    return process_partial_response(event=event, record_handler=partial(record_handler, logger=logger),
                                    processor=processor, context=context)
