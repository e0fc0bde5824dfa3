"""session_reopen: see infra/declaration.py for its routes and triggers."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from switchboard import snapstart
from switchboard.api.lazy import LazyResolver
from switchboard.observability import function_metrics

logger = Logger(service="session_reopen")
metrics = function_metrics("session_reopen")
app = LazyResolver(["reopen"])
snapstart.register_before_snapshot(app.prime)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
