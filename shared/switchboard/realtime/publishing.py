"""Publishing a unit of work's domain events: each is stamped with its entity's version and put on the
EventBridge bus. Nothing is written to DynamoDB here: the write path's round trips stay those of the change
itself (docs/realtime.md). The bus rule drives the fan-out, which numbers each event in the tenant's log
(``logged``) before it pushes it.

The version orders the changes of one entity: a frontend keeps the state with the highest version and drops
an older one, without a counter per entity to write. It is the publishing moment in microseconds, strictly
increasing within a process: the writes of one entity are serialised by DynamoDB's conditions, and their
events are published after the write, so a later change publishes later (across processes, up to the hosts'
clock skew, a few milliseconds under NTP, far below the time between two changes of one entity)."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from switchboard import clock
from switchboard.clients.eventbus import SOURCE, DomainEvent, EventBus
from switchboard.realtime.catalog import entity_of
from switchboard.storage.event_log import LoggedEvent

_STAMPS = ("tenant_id", "version")  # what the bus detail carries besides the event's own data
_lock = threading.Lock()
_last_version = 0


def next_version() -> int:
    global _last_version
    now = int(clock.now().timestamp() * 1_000_000)
    with _lock:
        _last_version = max(now, _last_version + 1)
        return _last_version


class VersionedBus:
    def __init__(self, bus: EventBus) -> None:
        self.bus = bus

    @property
    def name(self) -> str:
        return self.bus.name

    def publish(self, events: list[DomainEvent]) -> list[str]:
        """The bus ids of the events, in order (each one's number is given by the fan-out)."""
        return self.bus.publish([replace(e, detail={**e.detail, "version": next_version()}) for e in events])


def logged(bus_event: dict[str, Any], seq: int) -> LoggedEvent | None:
    """The log's record of one of our events as the bus delivered it, under ``seq``; None for anything else."""
    detail = bus_event.get("detail") or {}
    tenant_id = detail.get("tenant_id")
    if bus_event.get("source") != SOURCE or not tenant_id or not bus_event.get("id"):
        return None
    detail_type = str(bus_event.get("detail-type"))
    data = {k: v for k, v in detail.items() if k not in _STAMPS}
    entity = entity_of(detail_type, data)
    version = detail.get("version") if entity else None
    return LoggedEvent(tenant_id=tenant_id, seq=seq, type=detail_type, at=str(detail.get("at") or bus_event.get("time")),
                       entity_kind=entity[0] if entity else None, entity_id=entity[1] if entity else None,
                       version=int(version) if isinstance(version, int) else None, detail=data)
