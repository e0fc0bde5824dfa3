"""contact_resolution's entry into the domain: one queued event, by kind."""

from __future__ import annotations

import json

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.errors import UnknownChannel
from switchboard.inbound.resolution import store_inbound_message
from switchboard.inbound.statuses import apply_status
from switchboard.observability import count
from switchboard.services import Services
from switchboard.storage import keys
from switchboard.whatsapp.envelope import QueuedEvent


def process_event(event: QueuedEvent, services: Services) -> list[DomainEvent]:
    """Apply one event and publish what changed. Safe to repeat: a redelivery stores nothing twice."""
    if event.kind == "message":
        channel = services.channels.by_id(event.channel_id)
        if channel is None or channel.tenant_id != event.tenant_id:
            raise UnknownChannel(f"channel {event.channel_id} is gone")
        outcome = store_inbound_message(event, channel, services.conversations)
        count("InboundDuplicate" if outcome.duplicate else "InboundMessageStored")
        events = outcome.events
    elif event.kind == "status":
        events = apply_status(event.tenant_id, event.payload, services.statuses)
        count("StatusApplied" if events else "StatusParkedOrStale")
    else:
        events = record_webhook_update(event, services)
    services.bus.publish(events)
    return events


def record_webhook_update(event: QueuedEvent, services: Services) -> list[DomainEvent]:
    """Webhook-level errors and fields we do not act on yet are kept whole (and visible to admins),
    never dropped. The same update delivered twice is one item (its key is the event id)."""
    services.table.put({
        "pk": f"{keys.tenant(event.tenant_id)}#WEBHOOK#{event.kind}",
        "sk": event.dedup_id, "received_at": clock.iso(clock.now()),
        "event_id": event.event_id, "field": event.field, "channel_id": event.channel_id,
        "waba_id": event.waba_id, "payload": json.dumps(event.payload),
    })
    return [DomainEvent(f"webhook.{event.kind}", event.tenant_id, {"field": event.field,
                                                                    "channel_id": event.channel_id})]
