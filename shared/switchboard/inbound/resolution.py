"""contact_resolution's rules for an inbound WhatsApp message: who sent it (find or create the contact,
by a conditional write), which session it belongs to (the open one, a reopened one, or a new one), and
storing it exactly once.

The hot path is two DynamoDB round trips for a known or a new sender: one BatchGetItem (thread pointer
and identifiers) and one TransactWriteItems. A lost race (a concurrent first message from the same new
number, a concurrent resolve or block) cancels the transaction; we read again and re-plan.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from switchboard import clock, ids
from switchboard.clients.eventbus import DomainEvent
from switchboard.domain import blocks, messages, pii, sessions
from switchboard.domain.channels import Channel
from switchboard.domain.phones import wa_id_to_e164
from switchboard.errors import ConcurrentUpdate
from switchboard.storage import payloads
from switchboard.storage.contacts import THREAD_LISTED
from switchboard.storage.contacts import new_contact as contact_item
from switchboard.storage.conversations import (
    ContactChanged,
    ConversationStore,
    DuplicateMessage,
    InboundRecord,
    TargetUpdate,
    ThreadView,
    moved_pointer_item,
)
from switchboard.storage.dynamo import TransactionConflict
from switchboard.domain.inbound_queue import WhatsAppEvent
from switchboard.storage.messages import inbound_session_fields, message_item, new_session_item
from switchboard.storage.sessions import inbox_columns

_ATTEMPTS = 8
_PREVIEW_CHARS = 200
# A contact's last activity is kept to the hour on the inbound path (docs/performance.md, "Cost").
CONTACT_ACTIVITY_RESOLUTION = timedelta(hours=1)


@dataclass(frozen=True)
class Sender:
    wa_id: str | None
    user_id: str | None
    name: str | None
    username: str | None = None  # the WhatsApp username (contacts[].profile.username), when the user has one
    parent_user_id: str | None = None  # the parent BSUID of a managed business portfolio

    @classmethod
    def of(cls, event: WhatsAppEvent) -> Sender:
        contact = event.contact or {}
        profile = contact.get("profile") or {}
        return cls(
            wa_id=event.payload.get("from") or contact.get("wa_id"),
            # a "user changed user id" notice has no contacts block and may name the old id only in its body
            user_id=(event.payload.get("from_user_id") or contact.get("user_id")
                     or messages.previous_user_id(event.payload)),
            name=profile.get("name"),
            username=profile.get("username"),
            parent_user_id=event.payload.get("from_parent_user_id") or contact.get("parent_user_id"),
        )

    def identities(self, channel_id: str) -> list[dict[str, Any]]:
        """The channel identities a new contact starts with: its ids, and its username (shown and searchable,
        not an identifier: a username can change hands)."""
        found: list[dict[str, Any]] = []
        for kind, value in self.identifiers():
            if kind == "phone":
                continue
            identity = {"kind": kind, "value": value, "channel_id": channel_id}
            if kind == "bsuid" and self.parent_user_id:
                identity["parent_user_id"] = self.parent_user_id
            found.append(identity)
        if self.username:
            found.append({"kind": "username", "value": self.username, "channel_id": channel_id})
        return found

    @property
    def address(self) -> str:
        """What a new thread is keyed by: the WhatsApp id, or the business-scoped user id without one."""
        return self.wa_id or self.user_id or "unknown"

    def addresses(self) -> list[str]:
        """Every address the sender came with; each has a thread pointer (one canonical, the rest aliases)."""
        return [a for a in (self.wa_id, self.user_id) if a] or ["unknown"]

    @functools.cached_property
    def phone(self) -> str | None:  # parsed once: a message asks for it several times (about 0.5 ms a parse)
        return wa_id_to_e164(self.wa_id) if self.wa_id else None

    def identifiers(self) -> list[tuple[str, str]]:
        found = []
        if self.wa_id:
            found.append(("wa", self.wa_id))
        if self.phone:
            found.append(("phone", self.phone))
        if self.user_id:
            found.append(("bsuid", self.user_id))
        return found


@dataclass
class Outcome:
    message_id: str
    session_id: str | None
    contact_id: str
    duplicate: bool = False
    events: list[DomainEvent] = field(default_factory=list)


def _json_safe(value: Any) -> Any:
    """Meta's JSON as DynamoDB takes it: floats (locations, prices) become Decimals."""
    return json.loads(json.dumps(value), parse_float=Decimal)


def _message_item(event: WhatsAppEvent, session_id: str | None, contact_id: str, now: datetime,
                  suppressed: bool) -> dict[str, Any]:
    # Card numbers are masked before anything of the message is stored (text, content, raw); the
    # identifiers (bare phone digits, ids, timestamps) stay as Meta sent them.
    payload = pii.mask_in(event.payload, pii.IDENTIFIER_KEYS)
    sent_at = clock.from_unix(payload["timestamp"]) if payload.get("timestamp") else now
    item = message_item(
        event.tenant_id, event.channel_id, ids.new_id(), clock.iso(sent_at),
        direction="out" if messages.is_business_call(payload) else "in",
        kind=messages.kind_of(payload), text=messages.preview_text(payload), session_id=session_id,
        contact_id=contact_id, created_at=clock.iso(now), provider_message_id=event.event_id)
    content = messages.content_of(payload)
    if content:
        item["content"] = _json_safe(content)
    media = messages.media_of(payload)
    if media:
        item["media"] = media
    if suppressed:
        item["suppressed"] = True
    context = payload.get("context") if isinstance(payload.get("context"), dict) else {}
    if context.get("id"):
        item["reply_to_provider_id"] = context["id"]
    if context.get("forwarded"):
        item["forwarded"] = True
    if context.get("frequently_forwarded"):
        item["forwarded"] = item["frequently_forwarded"] = True
    if context.get("referred_product"):
        item["referred_product"] = _json_safe(context["referred_product"])
    if isinstance(payload.get("referral"), dict):
        item["referral"] = _json_safe(payload["referral"])
    if payload.get("errors"):
        item["provider_errors"] = messages.provider_errors(payload)
    target = messages.target_provider_id(payload)
    if target:
        item["target_provider_id"] = target
    # The payload as Meta sent it, as JSON (DynamoDB takes no floats, locations have them), compressed when
    # inline it would cost the item a second write unit (storage/payloads.py).
    return payloads.with_payload(item, payload)


def _target_update(event: WhatsAppEvent, message: dict[str, Any], target: dict[str, Any] | None,
                   contact_id: str) -> TargetUpdate | None:
    """A reaction, edit or revoke applied to the message it refers to (when that message is stored and
    belongs to the same contact); otherwise the record alone keeps it."""
    if target is None or not target.get("message_pk") or target.get("contact_id") not in (None, contact_id):
        return None
    key = {"pk": target["message_pk"], "sk": target["message_sk"]}
    payload, at = pii.mask_in(event.payload, pii.IDENTIFIER_KEYS), message["sent_at"]
    kind = message["kind"]
    if kind == "reaction":
        emoji = (payload.get("reaction") or {}).get("emoji")
        return TargetUpdate.reaction(key, {"emoji": emoji, "at": at, "provider_message_id": event.event_id}
                                     if emoji else None)
    if kind == "edit":
        inner = (payload.get("edit") or {}).get("message")
        inner_content = messages.content_of(inner) if isinstance(inner, dict) else None
        return TargetUpdate.edit(key, message["text"], at, event.event_id,
                                 _json_safe(inner_content) if inner_content else None)
    return TargetUpdate.revoke(key, message["text"], at)


def plan_inbound(event: WhatsAppEvent, channel: Channel, sender: Sender, view: ThreadView,
                 now: datetime) -> tuple[InboundRecord, list[DomainEvent]]:
    """Decide, from what the store said, what one inbound message writes. Pure: no I/O."""
    t = event.tenant_id
    now_iso = clock.iso(now)
    identifiers = sender.identifiers()
    pointer = view.pointer
    address = view.pointer_address or sender.address
    contact_id = view.known_contact_id(identifiers) or ids.new_id()
    new_contact = None
    events: list[DomainEvent] = []
    if view.known_contact_id(identifiers) is None:
        new_contact = contact_item(
            t, contact_id, sender.name or sender.phone or sender.address, now_iso,
            phones=[sender.phone] if sender.phone else [], identities=sender.identities(event.channel_id))
        events.append(DomainEvent("contact.created", t, {"contact_id": contact_id, "source": "whatsapp"}))
    claims = [i for i in identifiers if i not in view.owners]
    additions: dict[str, list[Any]] = {}
    if new_contact is None:  # a known contact gains the ids it came with: on its profile, so searchable
        for kind, value in claims:
            if kind == "phone":
                additions.setdefault("phones", []).append(value)
            else:
                additions.setdefault("identities", []).append({"kind": kind, "value": value,
                                                               "channel_id": event.channel_id})

    # A block follows the contact: its profile decides once read; until then the pointer's copy is the
    # guess, and the contact's write in the transaction checks the guess (ContactChanged: read, plan again).
    block_source = view.contact if view.contact is not None else (pointer or {})
    blocked = new_contact is None and blocks.is_blocked(block_source.get("blocked_until"), now)
    session_id: str | None = pointer.get("session_id") if pointer else None
    status = pointer.get("session_status") if pointer else None
    if blocked:
        mode = "none"
        session_id = None
    elif session_id is None:
        mode = "new"
    elif status == sessions.RESOLVED and sessions.answers_survey(event.payload, session_id):
        mode = "answer"  # the rating stays on the resolved session it rates, which it does not reopen
    elif status == sessions.RESOLVED:
        resolved_at = clock.parse_iso(pointer["resolved_at"]) if pointer and pointer.get("resolved_at") else now
        mode = "reopen" if sessions.may_reopen(resolved_at, now, channel.reopen_period_hours) else "new"
    else:
        mode = "existing"
    if mode == "new":
        session_id = ids.new_id()

    message = _message_item(event, session_id, contact_id, now, suppressed=blocked)
    last_message = {"message_id": message["message_id"], "text": message["text"][:_PREVIEW_CHARS],
                    "direction": message["direction"], "kind": message["kind"], "at": message["sent_at"]}
    if messages.opens_window(event.payload):
        inbound_at: str | None = clock.iso(customer_wrote_at(message["sent_at"], now, pointer))
    else:  # a call the business placed: the window stays where the customer's last message put it
        inbound_at = (pointer or {}).get("last_inbound_at")
    summary = {"last_message": last_message, "last_activity_at": now_iso,
               "gsi1sk": f"{now_iso}#{session_id}", "last_inbound_at": inbound_at}
    if sender.username and sender.username != (pointer or {}).get("username"):
        summary["contact_username"] = sender.username  # the session shows it (written when it changes)
    new_session = None
    # The inbox shows the directory's name: the new contact's, the profile's when read, else the pointer's copy.
    if new_contact is not None or view.contact is not None:
        contact_name = (new_contact or view.contact or {}).get("name")
    else:
        contact_name = (pointer or {}).get("contact_name")
    if mode == "new":
        new_session = new_session_item(t, session_id or "", event.channel_id, contact_id, address, sessions.OPEN,
                                       now_iso, last_message, **inbound_session_fields(),
                                       **inbox_columns(contact_name, channel), **summary)
        if sender.username:
            new_session["contact_username"] = sender.username
        if message["direction"] == "out":  # a call the business placed: nothing of the customer's to answer
            new_session.update(unread_count=0, unanswered=False)
        events.append(DomainEvent("session.created", t, {"session_id": session_id, "contact_id": contact_id,
                                                          "channel_id": event.channel_id}))
    elif mode == "reopen":
        events.append(DomainEvent("session.reopened", t, {"session_id": session_id, "by": "customer"}))

    pointer_fields: dict[str, Any] = {"contact_id": contact_id}
    if view.contact is not None:  # the pointer's copy of the block follows the profile (None: removed)
        pointer_fields["blocked_until"] = view.contact.get("blocked_until")
    if contact_name and (new_contact is not None or view.contact is not None):
        pointer_fields["contact_name"] = contact_name  # what the thread's next new session is shown under
    touch_contact = new_contact is None and _contact_activity_stale(pointer, now)
    if touch_contact or new_contact is not None:  # the contact's last_activity_at is written now
        pointer_fields["contact_activity_at"] = now_iso
    if not blocked:
        # a call the business placed leaves an existing session's state as it was (it is not the customer's turn)
        keeps_state = (message["direction"] == "out" and mode == "existing" and status) or mode == "answer"
        pointer_fields.update(session_id=session_id, session_status=status if keeps_state else sessions.OPEN,
                              last_inbound_at=inbound_at, last_message_id=message["message_id"])
    if pointer is None:
        pointer_fields.update(tenant_id=t, channel_id=event.channel_id, address=address)
    # A pointer on the contact's list (storage/contacts.py THREADS) is written by every block, merge and
    # erasure of the contact, so its guards stand for the profile: a known contact's message that the
    # pointer says is not blocked does not check the profile (docs/contacts.md, "Thread pointers"). A new
    # pointer, or one older than the list, joins it now (the profile is written: a new contact, or the
    # profile the read found it by).
    listed = bool(pointer and pointer.get(THREAD_LISTED))
    if not listed:
        pointer_fields[THREAD_LISTED] = True
    if "contact_username" in summary:  # the pointer remembers the username, so it is written only when it changes
        pointer_fields["username"] = sender.username
        if new_contact is None:
            additions.setdefault("identities", []).append({"kind": "username", "value": sender.username,
                                                           "channel_id": event.channel_id})
    record = InboundRecord(
        tenant_id=t, channel_id=event.channel_id, address=address, contact_id=contact_id,
        provider_message_id=event.event_id, message=message, now_iso=now_iso, new_contact=new_contact,
        claim_identifiers=claims, session_mode=mode, session_id=session_id, new_session=new_session,
        session_summary=summary, pointer_seen=pointer, pointer_fields=pointer_fields, touch_contact=touch_contact,
        alias_addresses=[a for a in sender.addresses() if a != address and a not in view.addresses_seen],
        target_update=_target_update(event, message, view.target, contact_id), contact_blocked=blocked,
        contact_additions=additions, list_pointer=not listed,
        check_contact=not (listed and view.contact is None and not blocked),
    )
    _plan_number_change(event, record, view, pointer)
    _plan_user_id_change(event, record, view, pointer)
    _plan_shared_phone(event, record, view)
    events.append(DomainEvent("message.received", t, {
        "message_id": message["message_id"], "session_id": session_id, "contact_id": contact_id,
        "channel_id": event.channel_id, "kind": message["kind"], "suppressed": blocked,
        # what the bus rules filter on (infra/declaration.py): only a survey answer invokes csat_survey
        "survey_reply": not blocked and sessions.is_survey_reply(message["kind"], message.get("content")),
        # what the inbox shows of it (operators' frontends get it pushed: docs/realtime.md)
        "message": {k: message[k] for k in ("message_id", "direction", "kind", "text", "sent_at", "content")
                    if k in message}}))
    return record, events


def customer_wrote_at(sent_at_iso: str, now: datetime, pointer: dict[str, Any] | None) -> datetime:
    """Where the customer-service window starts: the message's time as Meta stamped it, capped at our
    receipt (a clock ahead of ours opens no longer window), and never before the customer's latest
    message on the thread (a redelivered old message does not close a window a newer one opened)."""
    at = min(clock.parse_iso(sent_at_iso), now)
    latest = (pointer or {}).get("last_inbound_at")
    return max(at, clock.parse_iso(latest)) if latest else at


def _contact_activity_stale(pointer: dict[str, Any] | None, now: datetime) -> bool:
    """Whether this message moves the contact's ``last_activity_at`` (kept to the hour: a conversation's
    every message would otherwise rewrite the contact and its directory index entry). The pointer says when
    it was last moved; a pointer that never did (older than this rule) moves it."""
    moved = pointer.get("contact_activity_at") if pointer else None
    return not moved or now - clock.parse_iso(moved) >= CONTACT_ACTIVITY_RESOLUTION


def _plan_number_change(event: WhatsAppEvent, record: InboundRecord, view: ThreadView,
                        pointer: dict[str, Any] | None) -> None:
    """A "user changed number" notice: the contact claims the new WhatsApp id and phone (unless another
    contact holds them) and the thread pointer moves to the new number; the old one becomes its alias."""
    new_wa_id = messages.changed_number(event.payload)
    if not new_wa_id or new_wa_id == record.address:
        return
    new_phone = wa_id_to_e164(new_wa_id)
    fresh = [i for i in [("wa", new_wa_id), ("phone", new_phone)] if i[1] and i not in view.owners]
    record.claim_identifiers.extend((kind, str(value)) for kind, value in fresh)
    if new_phone and ("phone", new_phone) in fresh:
        record.contact_additions.setdefault("phones", []).append(new_phone)
    if ("wa", new_wa_id) in fresh:
        record.contact_additions.setdefault("identities", []).append({"kind": "wa", "value": new_wa_id,
                                                                     "channel_id": event.channel_id})
    if new_wa_id in view.addresses_seen or record.pointer_seen is None:
        return  # the new number already has a thread (or the sender had none): nothing to move
    record.moved_pointer = moved_pointer_item({**(pointer or {}), **record.pointer_fields}, record.tenant_id,
                                              record.channel_id, new_wa_id)
    record.list_pointer = True  # the moved pointer joins the contact's list
    record.pointer_fields["alias_of"] = new_wa_id
    # The session follows: resolve, reopen and send find the sender's pointer by the session's address.
    record.session_summary["address"] = new_wa_id
    if record.new_session is not None:
        record.new_session["address"] = new_wa_id


def _plan_user_id_change(event: WhatsAppEvent, record: InboundRecord, view: ThreadView,
                         pointer: dict[str, Any] | None) -> None:
    """A "user changed user id" notice (or the ``user_id_update`` webhook, split the same way): the contact
    claims the new BSUID (unless another contact holds it) and keeps the old one as a former identity (its
    identifier still names the contact, so nothing of the history moves). The new identity says which one
    it ``replaces``. The thread follows the new id: if the canonical pointer was the old BSUID, it is
    copied to the new one and the old one becomes its alias (replies go to the new id); if it is the
    customer's phone id, the new BSUID only gets an alias pointer."""
    new_user_id = messages.changed_user_id(event.payload)
    if not new_user_id or new_user_id == record.address:
        return
    if ("bsuid", new_user_id) not in view.owners:
        record.claim_identifiers.append(("bsuid", new_user_id))
        identity: dict[str, Any] = {"kind": "bsuid", "value": new_user_id, "channel_id": event.channel_id}
        previous = messages.previous_user_id(event.payload)
        if previous:
            identity["replaces"] = previous
        if record.new_contact is not None:
            record.new_contact["identities"].append(identity)
        else:
            record.contact_additions.setdefault("identities", []).append(identity)
    if new_user_id in view.addresses_seen or record.pointer_seen is None:
        return  # the new id already has a thread (or the sender had none): nothing to move
    if record.address.isdigit():  # the thread is the phone id's: the new BSUID points at it
        record.alias_addresses.append(new_user_id)
        return
    record.moved_pointer = moved_pointer_item({**(pointer or {}), **record.pointer_fields}, record.tenant_id,
                                              record.channel_id, new_user_id)
    record.list_pointer = True  # the moved pointer joins the contact's list
    record.pointer_fields["alias_of"] = new_user_id
    record.session_summary["address"] = new_user_id
    if record.new_session is not None:
        record.new_session["address"] = new_user_id


def _plan_shared_phone(event: WhatsAppEvent, record: InboundRecord, view: ThreadView) -> None:
    """The phone a BSUID-only customer shared when asked (REQUEST_CONTACT_INFO): it lands on the same
    contact (its ``wa`` and ``phone`` identifiers, unless another contact holds them), and the WhatsApp id
    points at the customer's thread, so a message from the number finds the same session."""
    shared = messages.shared_phone(event.payload)
    if not shared or record.new_contact is not None:
        return
    phone = wa_id_to_e164(shared)
    fresh = [i for i in [("wa", shared), ("phone", phone)] if i[1] and i not in view.owners
             and i not in record.claim_identifiers]
    record.claim_identifiers.extend((kind, str(value)) for kind, value in fresh)
    if phone and ("phone", phone) in fresh:
        record.contact_additions.setdefault("phones", []).append(phone)
    if ("wa", shared) in fresh:
        record.contact_additions.setdefault("identities", []).append({"kind": "wa", "value": shared,
                                                                     "channel_id": event.channel_id})
    if (shared not in view.addresses_seen and shared != record.address and record.pointer_seen is not None
            and shared not in record.alias_addresses):
        record.alias_addresses.append(shared)


def _new_ids(event: WhatsAppEvent) -> tuple[str | None, str | None, str | None]:
    """(new WhatsApp id, new BSUID, shared phone id) a message introduces."""
    return (messages.changed_number(event.payload), messages.changed_user_id(event.payload),
            messages.shared_phone(event.payload))


def _lookup_addresses(sender: Sender, event: WhatsAppEvent) -> list[str]:
    return list(dict.fromkeys(sender.addresses() + [a for a in _new_ids(event) if a]))


def _lookup_identifiers(sender: Sender, event: WhatsAppEvent) -> list[tuple[str, str]]:
    found = sender.identifiers()
    new_wa_id, new_user_id, shared = _new_ids(event)
    for wa_id in (new_wa_id, shared):
        if wa_id:
            found.append(("wa", wa_id))
            if phone := wa_id_to_e164(wa_id):
                found.append(("phone", phone))
    if new_user_id:
        found.append(("bsuid", new_user_id))
    return list(dict.fromkeys(found))


def store_inbound_message(event: WhatsAppEvent, channel: Channel, store: ConversationStore) -> Outcome:
    """Store one inbound message exactly once, with its contact and session."""
    sender = Sender.of(event)
    read_contact = False  # the profile is read only once its block turned out not to be the pointer's
    for _ in range(_ATTEMPTS):
        view = store.look_up(event.tenant_id, event.channel_id, _lookup_addresses(sender, event),
                             _lookup_identifiers(sender, event), messages.target_provider_id(event.payload))
        known = view.known_contact_id(sender.identifiers())
        # A known contact new on this channel, or whose block was not as its pointer said: read its profile
        # (its block and its name), one more round trip. A known thread and a new sender stay at two.
        if known and (read_contact or view.pointer is None):
            view = dataclasses.replace(view, contact=store.contact(event.tenant_id, known))
        record, events = plan_inbound(event, channel, sender, view, clock.now())
        try:
            store.record(record)
        except DuplicateMessage:
            return Outcome(record.message["message_id"], record.session_id, record.contact_id, duplicate=True)
        except ContactChanged:
            if read_contact:  # read and still refused: a merge or an erase is under way, or a block again
                time.sleep(random.uniform(0.005, 0.05))
            read_contact = True
            continue
        except TransactionConflict:
            time.sleep(random.uniform(0.005, 0.05))
            continue
        return Outcome(record.message["message_id"], record.session_id, record.contact_id, events=events)
    raise ConcurrentUpdate(f"could not store message after {_ATTEMPTS} attempts")
