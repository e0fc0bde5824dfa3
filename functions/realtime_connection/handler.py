"""realtime_connection: the WebSocket API's routes (infra/declaration.py). One entry per route key: a
connection is stored at ``$connect`` (with a TTL) and deleted at ``$disconnect``; ``$default`` answers
what a client sends (a ping keeps an idle connection open)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from switchboard.errors import Unauthorized
from switchboard.observability import metrics
from switchboard.realtime.connections import connect, disconnect
from switchboard.services import services

logger = Logger(service="realtime_connection")
metrics.set_default_dimensions(service="realtime_connection")


def _connect(event: dict[str, Any]) -> dict[str, Any]:
    try:
        connection = connect(services(), event["requestContext"])
    except Unauthorized:
        return {"statusCode": 401}
    logger.info("connected", tenant_id=connection.tenant_id, role=connection.role)
    return {"statusCode": 200}


def _disconnect(event: dict[str, Any]) -> dict[str, Any]:
    try:
        disconnect(services(), event["requestContext"])
    except Unauthorized:
        pass  # nothing was stored for it
    return {"statusCode": 200}


def _default(event: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200}


ROUTES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "$connect": _connect, "$disconnect": _disconnect, "$default": _default}


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    return ROUTES.get(event["requestContext"]["routeKey"], _default)(event)
