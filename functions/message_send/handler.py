"""message_send: see infra/declaration.py. Its capability is being built (see the open issues)."""

from aws_lambda_powertools import Logger

logger = Logger(service="message_send")


def handler(event: dict, context: object) -> dict:
    logger.warning("not implemented yet")
    return {"statusCode": 501, "headers": {"Content-Type": "application/json"},
            "body": '{"code": "not_implemented", "message": "message_send is not implemented yet"}'}
