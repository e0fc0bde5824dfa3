"""session_routing: see infra/declaration.py for its triggers.

Domain events on our bus route sessions (created, reopened), free capacity and drain queues (resolved,
assigned by hand, transferred, presence and operator changes); the EventBridge schedule sweeps expired
presence. One call into switchboard.team.events per event, imported by the first event (or before a
SnapStart snapshot)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from switchboard.api.entries import BusEvent, bus_consumer

if TYPE_CHECKING:
    from switchboard.services import Services


def _route(wiring: Services, event: BusEvent) -> dict[str, Any]:
    from switchboard.team.events import handle

    return {"published": len(handle(wiring, event.detail_type, event.detail))}


logger, metrics, handler = bus_consumer("session_routing", _route, prime="switchboard.team.events")
