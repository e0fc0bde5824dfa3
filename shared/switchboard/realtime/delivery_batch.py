"""webhook_delivery's batch: each record of the webhooks queue is one signed delivery attempt
(switchboard.realtime.delivery); a record whose handling crashes is reported failed, so it comes back and, in
the end, goes to the DLQ. Imported by the handler with its first batch, not at import."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from switchboard.realtime.delivery import DeliveryJob, deliver
from switchboard.services import services


def handle_batch(event: dict[str, Any], context: Any, logger: Any) -> dict[str, Any]:
    def record_handler(record: SQSRecord) -> None:
        job = DeliveryJob.model_validate_json(record.body)
        outcome = deliver(job, services())
        logger.debug("delivery attempted", subscription_id=job.subscription_id, attempt=job.attempt,
                     outcome=outcome.value)

    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
