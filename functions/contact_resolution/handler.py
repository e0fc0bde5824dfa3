"""contact_resolution: the inbound FIFO queue, one record at a time, in each sender's order
(switchboard/inbound/batch.py, imported by the first batch, or before the SnapStart snapshot)."""

from aws_lambda_powertools import Logger

from switchboard import snapstart
from switchboard.observability import function_metrics

logger = Logger(service="contact_resolution")
metrics = function_metrics("contact_resolution")
snapstart.prime("switchboard.inbound.batch")


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    from switchboard.inbound.batch import handle_batch

    return handle_batch(event, context, logger)
