"""webhook_delivery: the webhooks queue, one signed delivery attempt per record (retries are queued again
with a delay by switchboard.realtime.delivery; a record whose handling crashes comes back, then goes to the
DLQ)."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from switchboard.observability import metrics
from switchboard.realtime.delivery import DeliveryJob, deliver
from switchboard.services import services

logger = Logger(service="webhook_delivery")
metrics.set_default_dimensions(service="webhook_delivery")


def record_handler(record: SQSRecord) -> None:
    job = DeliveryJob.model_validate_json(record.body)
    outcome = deliver(job, services())
    logger.debug("delivery attempted", subscription_id=job.subscription_id, attempt=job.attempt,
                 outcome=outcome.value)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
