"""webhook_delivery: the webhooks queue, one signed delivery attempt per record (retries are queued again
with a delay by switchboard.realtime.delivery; a record whose handling crashes comes back, then goes to the
DLQ). Its work (switchboard/realtime/delivery_batch.py) is imported by the first batch, or before the SnapStart
snapshot."""

from aws_lambda_powertools import Logger

from switchboard import snapstart
from switchboard.observability import function_metrics

logger = Logger(service="webhook_delivery")
metrics = function_metrics("webhook_delivery")
snapstart.prime("switchboard.realtime.delivery_batch")


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    from switchboard.realtime.delivery_batch import handle_batch

    return handle_batch(event, context, logger)
