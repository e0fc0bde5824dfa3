"""contact_resolution's entry into the domain: one queued event, by kind."""

from __future__ import annotations

import json
from collections.abc import Callable

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.clients.sqs import OutgoingMessage
from switchboard.domain.inbound_queue import EmailEvent, WhatsAppEvent
from switchboard.domain.messages import kind_of, media_of
from switchboard.errors import UnknownChannel
from switchboard.inbound.fields import apply_field
from switchboard.inbound.resolution import store_inbound_message
from switchboard.inbound.statuses import apply_parked, apply_status
from switchboard.observability import count
from switchboard.services import Services
from switchboard.whatsapp.coexistence import STATE_SYNC


def _message(event: WhatsAppEvent, services: Services) -> list[DomainEvent]:
    channel = services.channels.by_id(event.channel_id)
    if channel is None or channel.tenant_id != event.tenant_id:
        raise UnknownChannel(f"channel {event.channel_id} is gone")
    outcome = store_inbound_message(event, channel, services.conversations)
    count("InboundDuplicate" if outcome.duplicate else "InboundMessageStored")
    if kind_of(event.payload) == "call":  # a call's terminate may have come first: parked, applied now
        outcome.events.extend(apply_parked(event.tenant_id, event.event_id, services.statuses))
    if media_of(event.payload):
        # Queued after the store, and again on a redelivery: the job is idempotent.
        from switchboard.inbound.media import media_job  # the Graph API client: media messages only

        job = media_job(event)
        services.inbound_queue.send_all([OutgoingMessage(job.body(), job.group, job.dedup_id)])
    return outcome.events


def _status(event: WhatsAppEvent, services: Services) -> list[DomainEvent]:
    events = apply_status(event.tenant_id, event.payload, services.statuses, event.channel_id)
    count("StatusApplied" if events else "StatusParkedOrStale")
    return events


def _media(event: WhatsAppEvent, services: Services) -> list[DomainEvent]:
    from switchboard.inbound.media import fetch_media  # the Graph API client: media jobs only

    return fetch_media(event, services)


def _field(event: WhatsAppEvent, services: Services) -> list[DomainEvent]:
    if event.field == STATE_SYNC:  # the business app's address book (docs/coexistence.md)
        from switchboard.inbound.coexistence import apply_state_sync

        return record_webhook_update(event, services) + apply_state_sync(event, services)
    return record_webhook_update(event, services) + apply_field(event, services.webhook_updates)


def _echo(event: WhatsAppEvent, services: Services) -> list[DomainEvent]:
    from switchboard.inbound.coexistence import store_echo  # coexistence numbers only

    channel = services.channels.by_id(event.channel_id)
    if channel is None or channel.tenant_id != event.tenant_id:
        raise UnknownChannel(f"channel {event.channel_id} is gone")
    events = store_echo(event, channel, services.conversations)
    count("EchoStored" if events else "EchoDuplicate")
    if media_of(event.payload):  # a photo sent from the app: fetched like a customer's (idempotent job)
        from switchboard.inbound.media import media_job

        job = media_job(event)
        services.inbound_queue.send_all([OutgoingMessage(job.body(), job.group, job.dedup_id)])
    return events


def _history(event: WhatsAppEvent, services: Services) -> list[DomainEvent]:
    from switchboard.inbound.coexistence import import_history  # coexistence numbers only

    events = import_history(event, services)
    count("HistorySliceImported")
    return events


def _email(event: EmailEvent, services: Services) -> list[DomainEvent]:
    from switchboard.email.inbound import process_email_event  # the email channel's own package

    return process_email_event(event, services)


def record_webhook_update(event: WhatsAppEvent, services: Services) -> list[DomainEvent]:
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


# Each kind of queued event and the one function that applies it.
_WHATSAPP: dict[str, Callable[[WhatsAppEvent, Services], list[DomainEvent]]] = {
    "message": _message, "status": _status, "media": _media, "errors": record_webhook_update,
    "field": _field, "echo": _echo, "history": _history,
}


def process_event(event: WhatsAppEvent | EmailEvent, services: Services) -> list[DomainEvent]:
    """Apply one event and publish what changed. Safe to repeat: a redelivery stores nothing twice."""
    events = _email(event, services) if isinstance(event, EmailEvent) else _WHATSAPP[event.kind](event, services)
    services.bus.publish(events)
    return events
