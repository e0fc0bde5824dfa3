"""realtime_connection: the WebSocket API's routes (infra/declaration.py). One entry per route key: a
connection is stored at ``$connect`` (with a TTL) and deleted at ``$disconnect``; ``$default`` answers
what a client sends (a ping keeps an idle connection open). The connection store
(switchboard.realtime.connections) is imported by the first event that needs it, or before the SnapStart
snapshot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger

from switchboard import snapstart
from switchboard.observability import function_metrics

logger = Logger(service="realtime_connection")
metrics = function_metrics("realtime_connection")
snapstart.prime("switchboard.realtime.connections", "switchboard.services")


def _connect(event: dict[str, Any]) -> dict[str, Any]:
    from switchboard.errors import Unauthorized
    from switchboard.realtime.connections import connect
    from switchboard.services import services

    try:
        connection = connect(services(), event["requestContext"])
    except Unauthorized:
        return {"statusCode": 401}
    logger.info("connected", tenant_id=connection.tenant_id, role=connection.role)
    return {"statusCode": 200}


def _disconnect(event: dict[str, Any]) -> dict[str, Any]:
    from switchboard.errors import Unauthorized
    from switchboard.realtime.connections import disconnect
    from switchboard.services import services

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
