"""Publishing a unit of work's domain events: each gets the tenant's next sequence number, is written to the
tenant's event log, then put on the EventBridge bus carrying it (the bus rule drives the fan-out to
WebSocket connections and webhook subscriptions). Two requests per unit of work, however many events:
one ``ADD`` reserves the numbers, one ``BatchWriteItem`` logs them.

The entity's version is the number of its latest change, as Kubernetes' ``resourceVersion`` is etcd's
revision of an object's last write: it increases with every change of that entity, so a frontend keeps the
state with the highest version and drops an older one, without a counter per entity to write.

The log is written before the bus: a frontend that catches up with ``GET /events`` finds every event the
fan-out may push. If the bus refuses an entry, ``PublishFailed`` makes the unit of work retry, and the
retry publishes its events again under new numbers; the numbers stay strictly increasing (gaps are
allowed)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent, EventBus
from switchboard.realtime.catalog import entity_of
from switchboard.storage.event_log import EventLog, LoggedEvent


class SequencedBus:
    def __init__(self, log: EventLog, bus: EventBus) -> None:
        self.log = log
        self.bus = bus

    @property
    def name(self) -> str:
        return self.bus.name

    def publish(self, events: list[DomainEvent]) -> list[LoggedEvent]:
        if not events:
            return []
        by_tenant: dict[str, list[DomainEvent]] = defaultdict(list)
        for event in events:
            by_tenant[event.tenant_id].append(event)
        at = clock.iso(clock.now())
        logged: list[LoggedEvent] = []
        sequenced: list[DomainEvent] = []
        for tenant_id, group in by_tenant.items():
            first = self.log.allocate(tenant_id, len(group))
            for offset, event in enumerate(group):
                entity = entity_of(event.detail_type, event.detail)
                seq = first + offset
                record = LoggedEvent(tenant_id=tenant_id, seq=seq, type=event.detail_type, at=at,
                                     entity_kind=entity[0] if entity else None,
                                     entity_id=entity[1] if entity else None, version=seq if entity else None,
                                     detail=dict(event.detail))
                logged.append(record)
                sequenced.append(replace(event, detail={**event.detail, "seq": seq, "version": record.version,
                                                        "entity": record.view()["entity"]}))
        self.log.append(logged)
        self.bus.publish(sequenced)
        return logged
