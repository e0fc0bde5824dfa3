"""Operators' WebSocket connections (function realtime_connection, API Gateway's ``$connect``,
``$disconnect`` and ``$default`` routes). The authorizer verified the operator's JWT at connect; its
context (tenant, operator, role) comes with every route's event."""

from __future__ import annotations

from typing import Any

from switchboard.errors import Unauthorized
from switchboard.services import Services
from switchboard.storage.connections import Connection


def connection_of(request_context: dict[str, Any]) -> Connection:
    authorizer = request_context.get("authorizer") or {}
    tenant_id, operator_id = authorizer.get("tenant_id"), authorizer.get("operator_id")
    role = authorizer.get("role")
    if not tenant_id or not operator_id or role not in ("operator", "admin"):
        raise Unauthorized("the connection carries no verified operator")
    return Connection(str(tenant_id), str(request_context["connectionId"]), str(operator_id), str(role))


def connect(services: Services, request_context: dict[str, Any]) -> Connection:
    connection = connection_of(request_context)
    services.connections.add(connection)
    return connection


def disconnect(services: Services, request_context: dict[str, Any]) -> None:
    connection = connection_of(request_context)
    services.connections.remove(connection.tenant_id, connection.connection_id)
