"""webhook_receipt: verify, validate, split, queue, answer fast. Nothing else.

The WhatsApp router is imported by the first request that needs it (switchboard/api/lazy.py), the email
router and the AWS events' path by the first mail; with SnapStart, all of them before the snapshot."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from switchboard import snapstart
from switchboard.api.lazy import LazyResolver, webhook_resolver
from switchboard.observability import function_metrics

logger = Logger(service="webhook_receipt")
metrics = function_metrics("webhook_receipt")
app = LazyResolver(["webhooks", "email_webhooks"], webhook_resolver)
snapstart.register_before_snapshot(app.prime)
snapstart.prime("switchboard.email.receipt")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    if "detail-type" in event:  # EventBridge: SES events and mail SES stored in S3 (docs/email.md)
        from switchboard.email.receipt import receive_aws_event
        from switchboard.services import services

        return receive_aws_event(event, services())
    return app.resolve(event, context)
