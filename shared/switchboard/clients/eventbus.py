"""Domain events on the EventBridge bus, for customers' integrations to subscribe to."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from switchboard import aws, clock
from switchboard.errors import PublishFailed

SOURCE = "switchboard"
_ENTRIES_PER_CALL = 10


@dataclass(frozen=True)
class DomainEvent:
    """``detail_type`` names what happened ("message.received"); ``detail`` always carries tenant_id."""

    detail_type: str
    tenant_id: str
    detail: dict[str, Any] = field(default_factory=dict)


class EventBus:
    def __init__(self, name: str) -> None:
        self.name = name

    def publish(self, events: list[DomainEvent]) -> list[str]:
        """The bus ids of the published events, in order."""
        if not events:
            return []
        entries = [
            {
                "Source": SOURCE,
                "DetailType": event.detail_type,
                "Detail": json.dumps({"tenant_id": event.tenant_id, "at": clock.iso(clock.now()),
                                      **event.detail}, default=str),
                "EventBusName": self.name,
            }
            for event in events
        ]
        ids: list[str] = []
        for start in range(0, len(entries), _ENTRIES_PER_CALL):
            response = aws.client("events").put_events(Entries=entries[start:start + _ENTRIES_PER_CALL])
            if response.get("FailedEntryCount"):
                raise PublishFailed(f"{response['FailedEntryCount']} domain events were not published")
            ids += [entry.get("EventId", "") for entry in response.get("Entries", [])]
        return ids
