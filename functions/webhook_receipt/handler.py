"""webhook_receipt: verify, validate, split, queue, answer fast. Nothing else."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from switchboard import snapstart
from switchboard.api.entries import API, serve
from switchboard.api.lazy import LazyResolver, webhook_resolver
from switchboard.email.ses_events import SES_DETAIL_TYPES
from switchboard.observability import function_metrics

logger = Logger(service="webhook_receipt")
metrics = function_metrics("webhook_receipt")
app = LazyResolver(["webhooks", "email_webhooks"], webhook_resolver)
snapstart.register_before_snapshot(app.prime)
snapstart.prime("switchboard.email.receipt")


def _aws_event(event: dict, context: object) -> dict:  # noqa: ARG001 - an entry's signature
    """EventBridge: SES events and mail SES stored in S3 (docs/email.md)."""
    from switchboard.email.receipt import receive_aws_event
    from switchboard.services import services

    return receive_aws_event(event, services())


ENTRIES = {API: app.resolve, ("aws.s3", "Object Created"): _aws_event,
           **{("aws.ses", detail_type): _aws_event for detail_type in SES_DETAIL_TYPES}}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    return serve(ENTRIES, event, context, logger)
