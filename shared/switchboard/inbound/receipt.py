"""webhook_receipt's one job: verify a WhatsApp webhook, split it into events, queue them safely."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from switchboard import clock
from switchboard.clients.sqs import OutgoingMessage, Queue
from switchboard.domain.channels import Channel
from switchboard.errors import BadSignature, PayloadTooLarge, UnknownChannel
from switchboard.storage.channels import ChannelRepository, whatsapp_secrets
from switchboard.storage.webhook_updates import WebhookUpdateStore
from switchboard.whatsapp import signature
from switchboard.domain.inbound_queue import WhatsAppEvent
from switchboard.whatsapp.envelope import Entry, parse_envelope, split_change


# One queued event, as JSON: what the inbound worker can store in one DynamoDB item (400 KB, holding the
# text, the payload and its rendering). Meta's events are a few KB (a text is at most 4,096 characters);
# a bigger one is refused with 413 before anything is queued (docs/inbound.md).
MAX_EVENT_BYTES = 100_000


@dataclass(frozen=True)
class Receipt:
    queued: int


def verify_subscription(mode: str | None, token: str | None, challenge: str | None,
                        channels: ChannelRepository) -> str:
    """The GET handshake: answer the challenge when the verify token belongs to one of our channels."""
    if mode != "subscribe" or not token or challenge is None or not channels.verify_token_known(token):
        raise BadSignature("verification token not recognised")
    return challenge


class UnknownNumber(UnknownChannel):
    """A change names a phone number no channel serves. ``account`` is a channel of the business account
    the entry names, if we have one: the refusal is recorded in its tenant, for admins to see."""

    def __init__(self, phone_number_id: str, field: str, account: Channel | None) -> None:
        super().__init__(f"no channel serves phone_number_id {phone_number_id}")
        self.phone_number_id = phone_number_id
        self.field = field
        self.account = account


def _channel_for(entry: Entry, field: str, value: dict, channels: ChannelRepository) -> Channel:
    """When a change names a number, only that number routes it: a reply must leave from the number the
    customer wrote to. The business account routes only the fields that carry no number (template and
    account updates)."""
    metadata = value.get("metadata") if isinstance(value, dict) else None
    phone_number_id = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
    if phone_number_id:
        channel = channels.by_phone_number_id(str(phone_number_id))
        if channel is None:
            raise UnknownNumber(str(phone_number_id), field, channels.by_waba_id(entry.id))
        return channel
    channel = channels.by_waba_id(entry.id)
    if channel is None:
        raise UnknownChannel(f"no channel for '{field}' update of account {entry.id}")
    return channel


def refused_number_report(raw: bytes, signature_header: str, refused: UnknownNumber) -> dict | None:
    """What admins see of a refused number (``GET /webhook-errors``): only for a body signed with the
    business account's own app secret, so nobody else can write into a tenant's list."""
    account = refused.account
    if account is None or not signature.is_valid(raw, signature_header, whatsapp_secrets(account).app_secret):
        return None
    return {"tenant_id": account.tenant_id, "channel_id": account.channel_id, "waba_id": account.waba_id,
            "field": refused.field, "phone_number_id": refused.phone_number_id,
            "digest": hashlib.sha256(raw).hexdigest()}


def receive_whatsapp(raw: bytes, signature_header: str | None, channels: ChannelRepository,
                     queue: Queue, report: Callable[[dict], None] | None = None) -> Receipt:
    """Verify (401 without a signature, 403 with a wrong one), validate (400), queue (5xx on failure).

    The signature is checked with the app secret of every channel the body names, before anything is
    queued; events are queued all or none as far as the caller can tell (a failure answers 5xx and Meta
    delivers the whole body again, which the FIFO deduplication and the stores' conditions absorb)."""
    if not signature_header:
        raise BadSignature("X-Hub-Signature-256 header is missing", missing=True)
    envelope = parse_envelope(raw)
    routed: list[tuple[Entry, object, Channel]] = []
    for entry in envelope.entry:
        for change in entry.changes:
            try:
                routed.append((entry, change, _channel_for(entry, change.field, change.value, channels)))
            except UnknownNumber as refused:
                if report is not None and (seen := refused_number_report(raw, signature_header, refused)):
                    report(seen)
                raise
    checked: set[str] = set()
    for _, _, channel in routed:
        if channel.secret_name in checked:
            continue
        if not signature.is_valid(raw, signature_header, whatsapp_secrets(channel).app_secret):
            raise BadSignature("X-Hub-Signature-256 does not match the body")
        checked.add(channel.secret_name)
    events: list[WhatsAppEvent] = []
    received_at = clock.iso(clock.now())
    for entry, change, channel in routed:
        events.extend(split_change(entry, change, channel.tenant_id, channel.channel_id,  # type: ignore[arg-type]
                                   received_at))
    bodies = [event.body() for event in events]
    for event, body in zip(events, bodies, strict=True):
        if len(body.encode()) > MAX_EVENT_BYTES:
            # Refused before anything is queued (all or none), never answered 200 and then lost.
            raise PayloadTooLarge(f"event {event.event_id} is {len(body.encode()) // 1024} KB; one event is at most "
                                  f"{MAX_EVENT_BYTES // 1000} KB")
    if events:
        queue.send_all([OutgoingMessage(body, event.group_id, event.dedup_id)
                        for event, body in zip(events, bodies, strict=True)])
    return Receipt(queued=len(events))


def record_refused_number(store: WebhookUpdateStore) -> Callable[[dict], None]:
    """Keep a refused number among the tenant's webhook errors (kind ``errors``, code ``unknown_channel``);
    Meta's redeliveries of the same body are one entry."""

    def record(report: dict) -> None:
        error = {"code": "unknown_channel", "title": f"no channel serves phone_number_id {report['phone_number_id']}",
                 "details": "the webhook was refused with 403; add the number as a channel to receive it"}
        payload = {"phone_number_id": report["phone_number_id"], "field": report["field"]}
        store.record(report["tenant_id"], "errors", f"unknown_channel:{report['digest']}", clock.iso(clock.now()),
                     {"field": report["field"], "channel_id": report["channel_id"], "waba_id": report["waba_id"],
                      "payload": json.dumps(payload), "errors": json.dumps([error])})

    return record
