"""contact_resolution's entry into the domain: one queued event, by kind."""

from __future__ import annotations

import json

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.clients.sqs import OutgoingMessage
from switchboard.domain.messages import media_of
from switchboard.errors import UnknownChannel
from switchboard.inbound.fields import apply_field
from switchboard.inbound.resolution import store_inbound_message
from switchboard.inbound.statuses import apply_status
from switchboard.observability import count
from switchboard.services import Services
from switchboard.whatsapp.envelope import QueuedEvent


def process_event(event: QueuedEvent, services: Services) -> list[DomainEvent]:
    """Apply one event and publish what changed. Safe to repeat: a redelivery stores nothing twice."""
    if event.kind == "message":
        channel = services.channels.by_id(event.channel_id)
        if channel is None or channel.tenant_id != event.tenant_id:
            raise UnknownChannel(f"channel {event.channel_id} is gone")
        outcome = store_inbound_message(event, channel, services.conversations)
        count("InboundDuplicate" if outcome.duplicate else "InboundMessageStored")
        if media_of(event.payload):
            # Queued after the store, and again on a redelivery: the job is idempotent.
            from switchboard.inbound.media import media_job  # the Graph API client: media messages only

            job = media_job(event)
            services.inbound_queue.send_all([OutgoingMessage(job.model_dump_json(exclude_none=True), job.group,
                                                             job.dedup_id)])
        events = outcome.events
    elif event.kind == "status":
        events = apply_status(event.tenant_id, event.payload, services.statuses, event.channel_id)
        count("StatusApplied" if events else "StatusParkedOrStale")
    elif event.kind == "media":
        from switchboard.inbound.media import fetch_media

        events = fetch_media(event, services)
    elif event.kind in ("email", "email_status"):
        from switchboard.email.inbound import process_email_event  # the email channel's own package

        events = process_email_event(event, services)
    else:
        events = record_webhook_update(event, services)
        if event.kind == "field":
            events += apply_field(event, services.webhook_updates)
    services.bus.publish(events)
    return events


def record_webhook_update(event: QueuedEvent, services: Services) -> list[DomainEvent]:
    """Webhook-level errors and every other field are kept whole (and visible to admins, newest first),
    never dropped. The same update delivered twice is one item (a marker keyed by the event id)."""
    at = event.received_at or clock.iso(clock.now())
    fields = {"field": event.field, "channel_id": event.channel_id, "waba_id": event.waba_id,
              "payload": json.dumps(event.payload)}
    if event.kind == "errors":
        fields["errors"] = json.dumps(event.payload.get("errors", []))
    if not services.webhook_updates.record(event.tenant_id, event.kind, event.dedup_id, at, fields):
        return []
    count("WebhookErrorsRecorded" if event.kind == "errors" else "WebhookFieldRecorded")
    return [DomainEvent(f"webhook.{event.kind}", event.tenant_id, {"field": event.field,
                                                                    "channel_id": event.channel_id})]
