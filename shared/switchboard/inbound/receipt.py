"""webhook_receipt's one job: verify a WhatsApp webhook, split it into events, queue them safely."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard import clock
from switchboard.clients.sqs import OutgoingMessage, Queue
from switchboard.domain.channels import Channel
from switchboard.errors import BadSignature, UnknownChannel
from switchboard.storage.channels import ChannelRepository, whatsapp_secrets
from switchboard.whatsapp import signature
from switchboard.whatsapp.envelope import Entry, QueuedEvent, parse_envelope, split_change


@dataclass(frozen=True)
class Receipt:
    queued: int


def verify_subscription(mode: str | None, token: str | None, challenge: str | None,
                        channels: ChannelRepository) -> str:
    """The GET handshake: answer the challenge when the verify token belongs to one of our channels."""
    if mode != "subscribe" or not token or challenge is None or not channels.verify_token_known(token):
        raise BadSignature("verification token not recognised")
    return challenge


def _channel_for(entry: Entry, field: str, value: dict, channels: ChannelRepository) -> Channel:
    metadata = value.get("metadata") if isinstance(value, dict) else None
    phone_number_id = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
    channel = channels.by_phone_number_id(str(phone_number_id)) if phone_number_id else None
    channel = channel or channels.by_waba_id(entry.id)
    if channel is None:
        raise UnknownChannel(f"no channel for '{field}' update of account {entry.id}")
    return channel


def receive_whatsapp(raw: bytes, signature_header: str | None, channels: ChannelRepository,
                     queue: Queue) -> Receipt:
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
            routed.append((entry, change, _channel_for(entry, change.field, change.value, channels)))
    checked: set[str] = set()
    for _, _, channel in routed:
        if channel.secret_name in checked:
            continue
        if not signature.is_valid(raw, signature_header, whatsapp_secrets(channel).app_secret):
            raise BadSignature("X-Hub-Signature-256 does not match the body")
        checked.add(channel.secret_name)
    events: list[QueuedEvent] = []
    received_at = clock.iso(clock.now())
    for entry, change, channel in routed:
        events.extend(split_change(entry, change, channel.tenant_id, channel.channel_id,  # type: ignore[arg-type]
                                   received_at))
    if events:
        queue.send_all([OutgoingMessage(event.model_dump_json(exclude_none=True), event.group_id,
                                        event.dedup_id) for event in events])
    return Receipt(queued=len(events))
