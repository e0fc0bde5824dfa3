"""The coexistence fields of the webhook (one number in the WhatsApp Business app and the Cloud API), split
into queue events (docs/coexistence.md).

- ``smb_message_echoes``: ``value.message_echoes[]``, messages the business typed in the app (or a linked
  device); one event each, in the customer's group (ordered with the customer's own messages), deduplicated
  by the echo's message id.
- ``history``: ``value.history[]``, chunks (``metadata.phase``, ``chunk_order``, ``progress``) of
  ``threads[]`` (``id`` = the customer's number, ``messages[]``), or ``errors[]`` when the business declined.
  One webhook may carry thousands of messages: each thread is cut into slices of at most
  ``HISTORY_SLICE_MESSAGES`` messages (and ``HISTORY_SLICE_BYTES`` of JSON), sorted by their own time
  first, so the same chunk always gives the same slices and the same event ids, however Meta orders it.
- ``smb_app_state_sync``: ``value.state_sync[]``, address-book contacts (the first sync after onboarding
  carries the whole book): ``field`` events of at most ``STATE_SYNC_SLICE`` contacts each.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from switchboard.domain.inbound_queue import WhatsAppEvent
from switchboard.errors import InvalidInput

ECHOES, HISTORY, STATE_SYNC = "smb_message_echoes", "history", "smb_app_state_sync"
# The fields a coexistence number's app is subscribed to, besides ``messages`` (docs/coexistence.md).
COEXISTENCE_FIELDS = (ECHOES, HISTORY, STATE_SYNC)
# A slice is imported in one TransactWriteItems: two items per message (the message and its provider-id
# alias), within DynamoDB's 100; its JSON stays well under one queued event's 100 KB.
HISTORY_SLICE_MESSAGES = 40
HISTORY_SLICE_BYTES = 60_000
STATE_SYNC_SLICE = 50


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Echo(_Open):
    id: str = Field(min_length=1)
    to: str | None = None
    to_user_id: str | None = None
    timestamp: str | None = None
    type: str = "unknown"


class EchoesValue(_Open):
    message_echoes: list[Echo] = []


class HistoryMessage(_Open):
    id: str = Field(min_length=1)
    timestamp: str | None = None
    from_: str | None = Field(None, alias="from")


class HistoryThread(_Open):
    id: str = Field(min_length=1)
    messages: list[HistoryMessage] = []


class ChunkMetadata(_Open):
    phase: int = Field(0, ge=0, le=99)
    chunk_order: int = Field(0, ge=0, le=999_999)
    progress: int = Field(0, ge=0, le=100)


class HistoryChunk(_Open):
    metadata: ChunkMetadata = ChunkMetadata()
    threads: list[HistoryThread] = []
    errors: list[dict[str, Any]] = []


class HistoryValue(_Open):
    history: list[HistoryChunk] = []


def _validated(model: type[BaseModel], change_field: str, value: dict[str, Any]) -> Any:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "value." + ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"malformed '{change_field}' change: {first['msg']}", field=field) from exc


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:32]


def split_echoes(value: dict[str, Any], common: dict[str, Any]) -> list[WhatsAppEvent]:
    parsed: EchoesValue = _validated(EchoesValue, ECHOES, value)
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else None
    events = []
    for i, echo in enumerate(parsed.message_echoes):
        customer = (echo.to or "").strip().lstrip("+") or echo.to_user_id
        if not customer:
            raise InvalidInput("an echo names the customer it was sent to", field=f"value.message_echoes.{i}.to")
        events.append(WhatsAppEvent(kind="echo", event_id=echo.id, group=f"{common['channel_id']}:{customer}",
                                    payload=echo.model_dump(by_alias=True, exclude_none=True), metadata=metadata,
                                    **common))
    return events


def _slices(messages: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """A thread's messages in their own order (time, then id), cut into slices of bounded count and size."""
    ordered = sorted(messages, key=lambda m: (int(m.get("timestamp") or 0), str(m["id"])))
    slices: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for message in ordered:
        length = len(json.dumps(message, separators=(",", ":")))
        if current and (len(current) >= HISTORY_SLICE_MESSAGES or size + length > HISTORY_SLICE_BYTES):
            slices.append(current)
            current, size = [], 0
        current.append(message)
        size += length
    if current:
        slices.append(current)
    return slices


def split_history(value: dict[str, Any], common: dict[str, Any]) -> list[WhatsAppEvent]:
    parsed: HistoryValue = _validated(HistoryValue, HISTORY, value)
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else None
    channel_id = common["channel_id"]
    events: list[WhatsAppEvent] = []
    for chunk in parsed.history:
        meta = chunk.metadata.model_dump(include={"phase", "chunk_order", "progress"})
        where = f"history:{channel_id}:{meta['phase']}:{meta['chunk_order']}"
        if chunk.errors:
            events.append(WhatsAppEvent(kind="history", event_id=f"{where}:errors:{_digest(chunk.errors)}",
                                        group=f"{channel_id}:history", metadata=metadata,
                                        payload={"chunk": meta, "errors": chunk.errors}, **common))
            continue
        cut = [(thread.id, piece) for thread in chunk.threads
               for piece in _slices([m.model_dump(by_alias=True, exclude_none=True) for m in thread.messages])]
        totals = {"chunk_slices": len(cut), "chunk_messages": sum(len(piece) for _, piece in cut)}
        if not cut:  # no history in this phase: the chunk's progress alone
            events.append(WhatsAppEvent(kind="history", event_id=f"{where}:empty", group=f"{channel_id}:history",
                                        metadata=metadata, payload={"chunk": meta, **totals}, **common))
        for thread_id, piece in cut:
            slice_id = _digest([thread_id, [m["id"] for m in piece]])
            events.append(WhatsAppEvent(
                kind="history", event_id=f"{where}:{slice_id}", group=f"{channel_id}:history:{thread_id}",
                metadata=metadata, payload={"chunk": meta, "thread_id": thread_id, "slice_id": slice_id,
                                            "messages": piece, **totals}, **common))
    return events


def split_state_sync(value: dict[str, Any], common: dict[str, Any]) -> list[WhatsAppEvent]:
    contacts = value.get("state_sync")
    if not isinstance(contacts, list):
        raise InvalidInput("malformed 'smb_app_state_sync' change: state_sync is a list", field="value.state_sync")
    rest = {k: v for k, v in value.items() if k != "state_sync"}
    events = []
    for start in range(0, max(len(contacts), 1), STATE_SYNC_SLICE):
        piece = {**rest, "state_sync": contacts[start:start + STATE_SYNC_SLICE]}
        events.append(WhatsAppEvent(kind="field", event_id=f"{STATE_SYNC}:{common['waba_id']}:{_digest(piece)}",
                                    group=f"{common['channel_id']}:{STATE_SYNC}", payload=piece, **common))
    return events


def split_coexistence(field: str, value: dict[str, Any], common: dict[str, Any]) -> list[WhatsAppEvent] | None:
    """The queue events of a coexistence field, or None for a field this module does not split."""
    if field == ECHOES:
        return split_echoes(value, common)
    if field == HISTORY:
        return split_history(value, common)
    if field == STATE_SYNC:
        return split_state_sync(value, common)
    return None
