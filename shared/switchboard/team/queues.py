"""Reading a group's queue (the sessions list's ``operator_id=none``)."""

from __future__ import annotations

from switchboard.services import Services
from switchboard.storage.pagination import Page
from switchboard.storage.routing import RoutingStore


def waiting_sessions(
    services: Services, tenant_id: str, group_id: str, cursor: str | None, limit: int
) -> Page:
    """A group's waiting sessions in arrival order."""
    return RoutingStore(services.table).waiting_sessions(tenant_id, group_id, cursor, limit)
