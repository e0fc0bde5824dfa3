"""Operators' WebSocket connections, one item each under the tenant's connections partition, so the fan-out
reads a tenant's connections with one query (never a scan of everyone's). A TTL drops what API Gateway
dropped without telling us (its connections last at most two hours)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from switchboard import clock
from switchboard.storage import keys
from switchboard.storage.dynamo import Table

# API Gateway closes a WebSocket connection after 2 hours at most; a little margin for clocks.
CONNECTION_TTL = timedelta(hours=2, minutes=10)


@dataclass(frozen=True)
class Connection:
    tenant_id: str
    connection_id: str
    operator_id: str
    role: str


class ConnectionStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, connection: Connection) -> None:
        now = clock.now()
        self.table.put({**keys.connection(connection.tenant_id, connection.connection_id),
                        "tenant_id": connection.tenant_id, "connection_id": connection.connection_id,
                        "operator_id": connection.operator_id, "role": connection.role,
                        "connected_at": clock.iso(now),
                        keys.TTL_ATTRIBUTE: int((now + CONNECTION_TTL).timestamp())})

    def remove(self, tenant_id: str, connection_id: str) -> None:
        self.table.delete(keys.connection(tenant_id, connection_id))

    def of_tenant(self, tenant_id: str) -> list[Connection]:
        """The tenant's live connections (expired ones the TTL has not deleted yet are left out)."""
        now = int(clock.now().timestamp())
        items: list[dict[str, Any]] = list(self.table.query_items(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": keys.connections_partition(tenant_id)}))
        return [Connection(i["tenant_id"], i["connection_id"], i["operator_id"], i["role"])
                for i in items if int(i.get(keys.TTL_ATTRIBUTE, now + 1)) > now]
