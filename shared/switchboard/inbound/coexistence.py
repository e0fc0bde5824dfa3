"""Coexistence: one number in both the WhatsApp Business app and the Cloud API (docs/coexistence.md).

- An **echo** (``smb_message_echoes``) is a message the business typed in the app: it is stored in the
  customer's session as outbound, ``sent_from: "business_app"``, once per message id. It moves the session's
  summary and counts as an answer, but opens no customer-service window (``last_inbound_at`` stays), does
  not reopen a resolved session and is not routed.
- The **history** (``history``) is imported slice by slice into one session per chat, ``imported: true`` and
  resolved, under deterministic ids (message and session ids derived from Meta's ids), in the messages' own
  order. Imported messages open no window, start no routing, away message or alert (no ``message.received``,
  no ``session.created``: admins get ``history.imported``); the import's chunks are visible to admins.
- **Address-book names** (``smb_app_state_sync``) name the directory's contacts, unless an operator named
  the contact (``name_source: "operator"``): then only ``address_book_name`` is kept beside it.
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from switchboard import clock, ids
from switchboard.clients.eventbus import DomainEvent
from switchboard.contacts.directory import Edit, entry
from switchboard.domain import messages, pii, sessions
from switchboard.domain.channels import Channel
from switchboard.domain.inbound_queue import WhatsAppEvent
from switchboard.domain.phones import wa_id_to_e164
from switchboard.errors import ConcurrentUpdate, UnknownChannel
from switchboard.inbound.resolution import Sender, _json_safe
from switchboard.storage import payloads
from switchboard.storage.contacts import new_contact as contact_item
from switchboard.storage.conversations import ConversationStore, DuplicateMessage, InboundRecord, ThreadView
from switchboard.storage.dynamo import TransactionConflict
from switchboard.storage.messages import last_message, message_item, new_session_item
from switchboard.storage.sessions import inbox_columns

if TYPE_CHECKING:
    from switchboard.services import Services

BUSINESS_APP = "business_app"
_ATTEMPTS = 8
# history_context.status (Meta's upper case) -> our message status
_HISTORY_STATUSES = {"PENDING": "queued", "SENT": "sent", "SERVER_ACK": "sent", "DELIVERED": "delivered",
                     "DELIVERY_ACK": "delivered", "READ": "read", "PLAYED": "played", "ERROR": "failed",
                     "FAILED": "failed"}


# --- echoes ---

def _customer(payload: dict[str, Any]) -> Sender:
    """Whom the business wrote to: Meta gives the number as it was typed (``+16505551234``)."""
    to = str(payload.get("to") or "").strip().lstrip("+") or None
    return Sender(wa_id=to, user_id=payload.get("to_user_id"), name=None)


def _content_fields(payload: dict[str, Any]) -> dict[str, Any]:
    """The kind-specific part, its media (fetched by the media job, as for an inbound message), the reply."""
    fields: dict[str, Any] = {}
    content = messages.content_of(payload)
    if content:
        fields["content"] = _json_safe(content)
    media = messages.media_of(payload)
    if media:
        fields["media"] = media
    context = payload.get("context") if isinstance(payload.get("context"), dict) else {}
    if context.get("id"):
        fields["reply_to_provider_id"] = context["id"]
    return fields


def _echo_message(event: WhatsAppEvent, session_id: str, contact_id: str, now: datetime) -> dict[str, Any]:
    payload = pii.mask_in(event.payload, pii.IDENTIFIER_KEYS)
    sent_at = clock.iso(clock.from_unix(payload["timestamp"]) if payload.get("timestamp") else now)
    item = message_item(event.tenant_id, event.channel_id, ids.new_id(), sent_at, direction="out",
                        kind=messages.kind_of(payload), text=messages.preview_text(payload), session_id=session_id,
                        contact_id=contact_id, created_at=clock.iso(now), provider_message_id=event.event_id,
                        sent_from=BUSINESS_APP, status="sent", status_rank=messages.status_rank("sent"),
                        statuses={"sent": sent_at}, **_content_fields(payload))
    return payloads.with_payload(item, payload)


def plan_echo(event: WhatsAppEvent, channel: Channel, view: ThreadView, now: datetime,
              ) -> tuple[InboundRecord, list[DomainEvent]]:
    """What an echo writes, from what the store said. Pure: no I/O."""
    t, now_iso = event.tenant_id, clock.iso(now)
    customer = _customer(event.payload)
    identifiers = customer.identifiers()
    pointer = view.pointer
    address = view.pointer_address or customer.address
    known = view.known_contact_id(identifiers)
    contact_id = known or ids.new_id()
    events: list[DomainEvent] = []
    new_contact = None
    if known is None:
        new_contact = contact_item(
            t, contact_id, customer.phone or customer.address, now_iso,
            phones=[customer.phone] if customer.phone else [],
            identities=[{"kind": k, "value": v, "channel_id": event.channel_id} for k, v in identifiers if k != "phone"])
        events.append(DomainEvent("contact.created", t, {"contact_id": contact_id, "source": BUSINESS_APP}))
    session_id = pointer.get("session_id") if pointer else None
    mode = "existing" if session_id else "new"
    session_id = session_id or ids.new_id()
    message = _echo_message(event, session_id, contact_id, now)
    last = last_message(message, status="sent", status_rank=message["status_rank"])
    contact_name = (new_contact or view.contact or pointer or {}).get("name") or (pointer or {}).get("contact_name")
    new_session = None
    if mode == "new":
        # The business wrote first, from its phone: an open session without a window, not routed.
        new_session = new_session_item(t, session_id, event.channel_id, contact_id, address, sessions.OPEN, now_iso,
                                       last, unread_count=0, unanswered=False, started_by=BUSINESS_APP,
                                       **inbox_columns(contact_name, channel))
    pointer_fields: dict[str, Any] = {"contact_id": contact_id, "last_message_id": message["message_id"]}
    if mode == "new":
        pointer_fields.update(session_id=session_id, session_status=sessions.OPEN)
    if pointer is None:
        pointer_fields.update(tenant_id=t, channel_id=event.channel_id, address=address)
        if contact_name:
            pointer_fields["contact_name"] = contact_name
    record = InboundRecord(
        tenant_id=t, channel_id=event.channel_id, address=address, contact_id=contact_id,
        provider_message_id=event.event_id, message=message, now_iso=now_iso, new_contact=new_contact,
        claim_identifiers=[i for i in identifiers if i not in view.owners] if new_contact else [],
        session_mode=mode, session_id=session_id, new_session=new_session,
        session_summary={"last_message": last, "last_activity_at": now_iso}, pointer_seen=pointer,
        pointer_fields=pointer_fields, touch_contact=False, business_echo=True,
        alias_addresses=[a for a in customer.addresses() if a != address and a not in view.addresses_seen])
    events.append(DomainEvent("message.sent", t, {
        "message_id": message["message_id"], "session_id": session_id, "contact_id": contact_id,
        "channel_id": event.channel_id, "provider_message_id": event.event_id, "sent_from": BUSINESS_APP,
        "message": {k: message[k] for k in ("message_id", "direction", "kind", "text", "sent_at", "content",
                                            "sent_from") if k in message}}))
    return record, events


def store_echo(event: WhatsAppEvent, channel: Channel, store: ConversationStore) -> list[DomainEvent]:
    """Store one echo exactly once (its provider-id alias is the condition)."""
    customer = _customer(event.payload)
    for _ in range(_ATTEMPTS):
        view = store.look_up(event.tenant_id, event.channel_id, customer.addresses(), customer.identifiers())
        known = view.known_contact_id(customer.identifiers())
        if known and view.pointer is None:  # a known contact new on this channel: its name for the inbox
            view = dataclasses.replace(view, contact=store.contact(event.tenant_id, known))
        record, events = plan_echo(event, channel, view, clock.now())
        try:
            store.record(record)
        except DuplicateMessage:
            return []
        except TransactionConflict:
            time.sleep(random.uniform(0.005, 0.05))
            continue
        return events
    raise ConcurrentUpdate(f"could not store echo after {_ATTEMPTS} attempts")


# --- history ---

def _history_message(event: WhatsAppEvent, raw: dict[str, Any], thread_id: str, session_id: str,
                     contact_id: str, now_iso: str) -> dict[str, Any]:
    payload = pii.mask_in(raw, pii.IDENTIFIER_KEYS)
    wamid = str(raw["id"])
    sent_at = clock.iso(clock.from_unix(payload["timestamp"])) if payload.get("timestamp") else now_iso
    inbound = str(raw.get("from") or "") == thread_id
    fields: dict[str, Any] = {"imported": True, **_content_fields(payload)}
    context = raw.get("history_context") if isinstance(raw.get("history_context"), dict) else {}
    status = _HISTORY_STATUSES.get(str(context.get("status") or "").upper())
    if context.get("status"):
        fields["history_status"] = str(context["status"])
    if not inbound:
        fields["sent_from"] = BUSINESS_APP
        if status:
            fields.update(status=status, status_rank=messages.status_rank(status), statuses={status: sent_at})
    item = message_item(event.tenant_id, event.channel_id, ids.stable_id(event.tenant_id, event.channel_id, wamid),
                        sent_at, direction="in" if inbound else "out", kind=messages.kind_of(payload),
                        text=messages.preview_text(payload), session_id=session_id, contact_id=contact_id,
                        created_at=now_iso, provider_message_id=wamid, **fields)
    return payloads.with_payload(item, payload)


def _history_contact(event: WhatsAppEvent, thread_id: str, services: Services) -> tuple[str, list[DomainEvent]]:
    """The chat's contact: the one holding the number, or a new one (by condition: a lost race looks again)."""
    t = event.tenant_id
    customer = Sender(wa_id=thread_id, user_id=None, name=None)
    identifiers = customer.identifiers()
    for _ in range(_ATTEMPTS):
        view = services.conversations.look_up(t, event.channel_id, [thread_id], identifiers)
        known = view.known_contact_id(identifiers)
        if known:
            return known, []
        contact_id = ids.new_id()
        now_iso = clock.iso(clock.now())
        contact = contact_item(t, contact_id, customer.phone or thread_id, now_iso,
                               phones=[customer.phone] if customer.phone else [],
                               identities=[{"kind": "wa", "value": thread_id, "channel_id": event.channel_id}])
        try:
            services.history_imports.create_contact(contact, identifiers)
        except TransactionConflict:
            continue
        return contact_id, [DomainEvent("contact.created", t, {"contact_id": contact_id, "source": "history"})]
    raise ConcurrentUpdate("could not resolve the history's contact")


def import_history(event: WhatsAppEvent, services: Services) -> list[DomainEvent]:
    """One slice of one chat of the shared history (or a chunk's progress, or the business's refusal)."""
    t, channel_id, payload = event.tenant_id, event.channel_id, event.payload
    store = services.history_imports
    now_iso = clock.iso(clock.now())
    chunk = payload["chunk"]
    if payload.get("errors"):
        store.record_declined(t, channel_id, json.dumps(payload["errors"]), now_iso)
        return [DomainEvent("history.declined", t, {"channel_id": channel_id,
                                                    "codes": [e.get("code") for e in payload["errors"]]})]
    store.record_chunk(t, channel_id, chunk, payload, now_iso)
    thread_id = payload.get("thread_id")
    raws = payload.get("messages") or []
    if not thread_id or not raws:
        return []
    channel = services.channels.by_id(channel_id)
    if channel is None or channel.tenant_id != t:
        raise UnknownChannel(f"channel {channel_id} is gone")
    contact_id, events = _history_contact(event, str(thread_id), services)
    session_id = ids.stable_id(t, channel_id, "history", str(thread_id))
    items = sorted((_history_message(event, m, str(thread_id), session_id, contact_id, now_iso) for m in raws),
                   key=lambda m: m["sk"])
    first, last = items[0], items[-1]
    summary = last_message(last)
    session = new_session_item(t, session_id, channel_id, contact_id, str(thread_id), sessions.RESOLVED,
                               first["sent_at"], summary, imported=True, imported_at=now_iso, unread_count=0,
                               unanswered=False, resolved_at=now_iso, outcome="imported",
                               **inbox_columns(None, channel))
    session.update(last_activity_at=last["sent_at"], gsi1sk=f"{last['sent_at']}#{session_id}")
    store.create_session(session)
    fresh: list[dict[str, Any]] = []
    stored: dict[str, dict[str, Any]] = {}
    for _ in range(_ATTEMPTS):
        stored = store.stored(t, [m["provider_message_id"] for m in items])
        fresh = [m for m in items if m["provider_message_id"] not in stored]
        try:
            store.write_messages(t, fresh)
        except TransactionConflict:
            time.sleep(random.uniform(0.005, 0.05))
            continue
        break
    else:
        raise ConcurrentUpdate("could not import the history slice")
    # Meta sends the media of the last 14 days in later history webhooks: the same message, now with its
    # media id. A message imported before without media gets it (once: only while it has none).
    later = [m for m in items if m["provider_message_id"] in stored and m.get("media")]
    with_media = [m for m in fresh if m.get("media")] + [
        m for m in later if store.attach_media(stored[m["provider_message_id"]], m)]
    if with_media:
        from switchboard.clients.sqs import OutgoingMessage
        from switchboard.inbound.media import media_job

        jobs = [media_job(event.model_copy(update={"event_id": m["provider_message_id"]})) for m in with_media]
        services.inbound_queue.send_all([OutgoingMessage(job.body(), job.group_id, job.dedup_id) for job in jobs])
    store.advance_session(t, session_id, summary)
    store.record_slice(t, channel_id, chunk, str(payload["slice_id"]), session_id, len(items), now_iso)
    events.append(DomainEvent("history.imported", t, {
        "channel_id": channel_id, "session_id": session_id, "contact_id": contact_id, "messages": len(fresh),
        "phase": chunk["phase"], "chunk_order": chunk["chunk_order"], "progress": chunk["progress"]}))
    return events


def history_progress(records: list[dict[str, Any]]) -> dict[str, Any]:
    """What admins see of a channel's import: each chunk with its slices imported, and the whole."""
    chunks: dict[tuple[int, int], dict[str, Any]] = {}
    declined = None
    for record in records:
        if record.get("kind") == "declined":
            declined = record
            continue
        key = (int(record["phase"]), int(record["chunk_order"]))
        chunk = chunks.setdefault(key, {"phase": key[0], "chunk_order": key[1], "progress": 0, "slices": 0,
                                        "messages": 0, "slices_imported": 0, "messages_imported": 0})
        if record.get("kind") == "chunk":
            chunk.update(progress=int(record.get("progress", 0)), slices=int(record.get("slices", 0)),
                         messages=int(record.get("messages", 0)), received_at=record.get("first_seen_at"))
        else:
            chunk["slices_imported"] += 1
            chunk["messages_imported"] += int(record.get("messages", 0))
    listed = [chunks[k] for k in sorted(chunks)]
    for chunk in listed:
        chunk["status"] = "imported" if chunk["slices_imported"] >= chunk["slices"] else "importing"
    progress = max((c["progress"] for c in listed), default=0)
    if declined is not None:
        status = "declined"
    elif not listed:
        status = "not_started"
    elif progress >= 100 and all(c["status"] == "imported" for c in listed):
        status = "complete"
    else:
        status = "importing"
    return {"status": status, "progress": progress,
            "phase": max((c["phase"] for c in listed), default=None),
            "messages_imported": sum(c["messages_imported"] for c in listed), "chunks": listed,
            "declined_at": declined.get("declined_at") if declined else None,
            "errors": json.loads(declined.get("errors") or "[]") if declined else []}


# --- address-book names ---

def apply_state_sync(event: WhatsAppEvent, services: Services) -> list[DomainEvent]:
    """The business's address book names the directory's contacts (those we know by the number only: the
    address book creates none). An operator's name wins; the address book's is kept beside it. The
    directory's edit publishes ``contact.updated`` when something changed."""
    t = event.tenant_id
    for item in event.payload.get("state_sync") or []:
        if not isinstance(item, dict) or item.get("type") != "contact" or not isinstance(item.get("contact"), dict):
            continue
        number = str(item["contact"].get("phone_number") or "").strip().lstrip("+")
        if not number:
            continue
        phone = wa_id_to_e164(number)
        owner = (services.contacts.owner(t, "phone", phone) if phone else None) or services.contacts.owner(
            t, "wa", number)
        if owner is None:
            continue
        timestamp = (item.get("metadata") or {}).get("timestamp")
        at = clock.iso(clock.from_unix(timestamp) if timestamp else clock.now())
        name = item["contact"].get("full_name") or item["contact"].get("first_name")
        services.directory.edit(t, owner, BUSINESS_APP, _address_book_edit(name, item.get("action") == "remove", at))
    return []


def _address_book_edit(name: str | None, removed: bool, at: str) -> Callable[[dict[str, Any]], Edit]:
    def decide(before: dict[str, Any]) -> Edit:
        if before.get("address_book_at") and before["address_book_at"] > at:
            return Edit(before)  # an older sync than the one applied
        if removed:
            if not before.get("address_book_name"):
                return Edit(before)
            after = {k: v for k, v in before.items() if k != "address_book_name"}
            return Edit({**after, "address_book_at": at},
                        [entry("address_book", BUSINESS_APP, text="removed from the business's address book")])
        if not name or (before.get("address_book_name") == name and
                        (before.get("name_source") == "operator" or before.get("name") == name)):
            return Edit(before)
        after = {**before, "address_book_name": name, "address_book_at": at}
        if before.get("name_source") != "operator":
            after.update(name=name, name_source="address_book")
        return Edit(after, [entry("address_book", BUSINESS_APP, text=f"address book: {name}")])

    return decide
