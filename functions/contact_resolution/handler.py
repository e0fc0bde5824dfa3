"""contact_resolution: the inbound FIFO queue, one record at a time, in each sender's order."""

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from switchboard.inbound.processing import process_event
from switchboard.observability import function_metrics
from switchboard.services import services
from switchboard.whatsapp.envelope import QueuedEvent

logger = Logger(service="contact_resolution")
tracer = Tracer(service="contact_resolution")
metrics = function_metrics("contact_resolution")


def record_handler(record: SQSRecord) -> None:
    event = QueuedEvent.model_validate_json(record.body)
    process_event(event, services())
    logger.debug("event applied", kind=event.kind, channel_id=event.channel_id)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    # A failed record fails the rest of its group only, so one customer's events stay in order. A processor
    # per batch: it holds the batch's outcomes, and the local runtime may run batches at once in one process.
    processor = SqsFifoPartialProcessor(skip_group_on_error=True)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
