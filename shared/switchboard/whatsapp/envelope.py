"""The webhook envelope Meta posts, validated with pydantic, and its split into queue events.

Only what routing needs is typed (ids, senders, the field name); every message, status and change value
travels on as Meta sent it, so new kinds and new fields break nothing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from switchboard.domain.inbound_queue import WhatsAppEvent
from switchboard.errors import InvalidInput
from switchboard.whatsapp.calls import CALLS_FIELD, split_calls
from switchboard.whatsapp.user_ids import USER_ID_UPDATE_FIELD, split_user_id_updates
from switchboard.whatsapp.coexistence import split_coexistence



class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Metadata(_Open):
    phone_number_id: str
    display_phone_number: str | None = None


class Profile(_Open):
    name: str | None = None


class WhatsAppContact(_Open):
    wa_id: str | None = None
    user_id: str | None = None
    profile: Profile | None = None


class MessageRef(_Open):
    id: str = Field(min_length=1)
    type: str = "unknown"
    from_: str | None = Field(None, alias="from")
    from_user_id: str | None = None
    timestamp: str | None = None


class StatusRef(_Open):
    id: str = Field(min_length=1)
    status: str
    timestamp: str | None = None
    recipient_id: str | None = None
    recipient_user_id: str | None = None


class MessagesValue(_Open):
    metadata: Metadata
    contacts: list[WhatsAppContact] = []
    messages: list[MessageRef] = []
    statuses: list[StatusRef] = []
    errors: list[dict[str, Any]] = []


class Change(_Open):
    field: str
    value: dict[str, Any]


class Entry(_Open):
    id: str
    time: int | None = None
    changes: list[Change] = []


class Envelope(_Open):
    object: Literal["whatsapp_business_account"]
    entry: list[Entry] = Field(min_length=1)


def parse_envelope(raw: bytes) -> Envelope:
    try:
        return Envelope.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidInput(f"not a WhatsApp webhook envelope: {first['msg']}", field=field) from exc


def messages_value(change: Change) -> MessagesValue:
    try:
        return MessagesValue.model_validate(change.value)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "value." + ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"malformed '{change.field}' change: {first['msg']}", field=field) from exc


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:40]


def _contact_for(value: MessagesValue, message: MessageRef) -> dict[str, Any] | None:
    for contact in value.contacts:
        if (message.from_ and contact.wa_id == message.from_) or (
            message.from_user_id and contact.user_id == message.from_user_id
        ):
            return contact.model_dump(by_alias=True, exclude_none=True)
    if len(value.contacts) == 1:
        return value.contacts[0].model_dump(by_alias=True, exclude_none=True)
    return None


_SPLITTERS = {CALLS_FIELD: split_calls, USER_ID_UPDATE_FIELD: split_user_id_updates}


def split_change(entry: Entry, change: Change, tenant_id: str, channel_id: str,
                 received_at: str | None = None) -> list[WhatsAppEvent]:
    """One queue event per message, status and error list; other fields (template updates, user
    preferences, account updates) travel whole. Groups keep one customer's events in order."""
    common = {"tenant_id": tenant_id, "channel_id": channel_id, "field": change.field, "waba_id": entry.id,
              "received_at": received_at, "entry_time": entry.time}
    coexistence = split_coexistence(change.field, change.value, common)  # echoes, history (docs/coexistence.md)
    if coexistence is not None:
        return coexistence
    if change.field in _SPLITTERS:  # fields that become timeline records (calls, BSUID changes)
        split = _SPLITTERS[change.field](change.value, common, channel_id)
        if split:
            return split
    if change.field != "messages":
        return [WhatsAppEvent(kind="field", event_id=f"{change.field}:{entry.id}:{_digest(change.value)}",
                            group=f"{channel_id}:{change.field}", payload=change.value, **common)]
    value = messages_value(change)
    metadata = value.metadata.model_dump(exclude_none=True)
    events: list[WhatsAppEvent] = []
    for message in value.messages:
        sender = message.from_ or message.from_user_id or "unknown"
        events.append(WhatsAppEvent(
            kind="message", event_id=message.id, group=f"{channel_id}:{sender}",
            payload=message.model_dump(by_alias=True, exclude_none=True),
            contact=_contact_for(value, message), metadata=metadata, **common))
    for status in value.statuses:
        recipient = status.recipient_id or status.recipient_user_id or "unknown"
        events.append(WhatsAppEvent(
            kind="status", event_id=f"{status.id}:{status.status}", group=f"{channel_id}:{recipient}",
            payload=status.model_dump(by_alias=True, exclude_none=True), metadata=metadata, **common))
    if value.errors:
        events.append(WhatsAppEvent(
            kind="errors", event_id=f"errors:{entry.id}:{_digest(value.errors)}",
            group=f"{channel_id}:errors", payload={"errors": value.errors}, metadata=metadata, **common))
    return events
