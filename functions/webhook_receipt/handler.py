"""webhook_receipt: verify, validate, split, queue, answer fast. Nothing else."""

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths

from switchboard.api.routes import email_webhooks, webhooks
from switchboard.email.receipt import receive_aws_event
from switchboard.observability import function_metrics
from switchboard.services import services

logger = Logger(service="webhook_receipt")
tracer = Tracer(service="webhook_receipt")
metrics = function_metrics("webhook_receipt")
app = APIGatewayHttpResolver()  # the webhooks' HTTP API (payload format 2.0): infra/cdk/http_api.py
app.include_router(webhooks.router)
app.include_router(email_webhooks.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    if "detail-type" in event:  # EventBridge: SES events and mail SES stored in S3 (docs/email.md)
        return receive_aws_event(event, services())
    return app.resolve(event, context)
