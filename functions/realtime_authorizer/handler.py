"""realtime_authorizer: the WebSocket API's REQUEST authorizer at ``$connect`` (the operator's Cognito ID
token in ``?token=``)."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from switchboard.config import get_settings
from switchboard.realtime.authorizer import policy

logger = Logger(service="realtime_authorizer")


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    settings = get_settings()
    answer = policy(event, settings.need("cognito_issuer"), settings.need("cognito_client_id"))
    logger.info("connect authorized", effect=answer["policyDocument"]["Statement"][0]["Effect"])
    return answer
