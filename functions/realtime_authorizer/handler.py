"""realtime_authorizer: the WebSocket API's REQUEST authorizer at ``$connect`` (the operator's Cognito ID
token in ``?token=``). The token check (switchboard.realtime.authorizer) is imported by the first request, or
before the SnapStart snapshot."""

from aws_lambda_powertools import Logger

from switchboard import snapstart

logger = Logger(service="realtime_authorizer")
snapstart.prime("switchboard.realtime.authorizer", "switchboard.config")


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    from switchboard.config import get_settings
    from switchboard.realtime.authorizer import policy

    settings = get_settings()
    answer = policy(event, settings.need("cognito_issuer"), settings.need("cognito_client_id"))
    logger.info("connect authorized", effect=answer["policyDocument"]["Statement"][0]["Effect"])
    return answer
