"""session_reopen: see infra/declaration.py for its routes and triggers."""

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging import correlation_paths

from switchboard.api.app import build_resolver
from switchboard.api.routes import reopen
from switchboard.observability import function_metrics

logger = Logger(service="session_reopen")
tracer = Tracer(service="session_reopen")
metrics = function_metrics("session_reopen")
app = build_resolver([reopen.router])


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
