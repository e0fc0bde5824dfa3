"""operator_api: the directory and inbox reads and writes of operators' frontends, and the API docs."""

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging import correlation_paths

from switchboard.api.app import build_resolver
from switchboard.api.routes import (
    campaigns,
    canned_responses,
    channels,
    contacts,
    docs,
    groups,
    operators,
    session_actions,
    session_contact,
    sessions,
    team_sessions,
    templates,
    webhook_errors,
)
from switchboard.observability import function_metrics

logger = Logger(service="operator_api")
tracer = Tracer(service="operator_api")
metrics = function_metrics("operator_api")
app = build_resolver([sessions.router, session_actions.router, session_contact.router, contacts.router,
                      templates.router, campaigns.router, channels.router, webhook_errors.router, operators.router,
                      groups.router, team_sessions.router, canned_responses.router, docs.router])


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
