"""operator_api: the directory and inbox reads and writes of operators' frontends, and the API docs.

Each router is imported when a request first routes to it (switchboard/api/lazy.py); with SnapStart,
all of them before the snapshot."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from switchboard import snapstart
from switchboard.api.lazy import LazyResolver
from switchboard.observability import function_metrics

logger = Logger(service="operator_api")
metrics = function_metrics("operator_api")
app = LazyResolver(["sessions", "session_actions", "session_contact", "contacts", "templates", "campaigns",
                    "channels", "webhook_errors", "history_imports", "events", "webhook_subscriptions", "operators", "groups",
                    "team_sessions", "canned_responses", "saved_filters", "costs", "typing_indicator", "sla_policies",
                    "reports_summary", "csat", "docs"])
snapstart.register_before_snapshot(app.prime)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
