"""A new WhatsApp session we start: to a phone number or a directory contact, with an approved template.
The contact is found by its identifier items or created (conditional writes, as the inbound path does);
contact, identifiers, session, thread pointer, message and idempotency key go in one transaction."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from switchboard import clock, ids
from switchboard.clients.eventbus import DomainEvent
from switchboard.domain import sessions
from switchboard.domain.phones import to_e164
from switchboard.domain.principal import Principal
from switchboard.errors import ConcurrentUpdate, Conflict, InvalidInput, NotFound
from switchboard.outbound.models import StartSessionRequest
from switchboard.outbound.sending import (
    commit_and_enqueue,
    fingerprint,
    last_message_of,
    message_record,
    replay,
    template_outgoing,
)
from switchboard.storage.outbound import Staging, send_request_item
from switchboard.services import Services
from switchboard.storage.contacts import claim_identifier, new_contact, put_new_contact, touch_contact
from switchboard.storage.dynamo import Transaction
from switchboard.storage.messages import new_session_item
from switchboard.storage.sessions import inbox_columns, started_pointer_write

_ATTEMPTS = 5


@dataclass(frozen=True)
class Started:
    session: dict[str, Any]
    message: dict[str, Any]
    replayed: bool = False


def _recipient(services: Services, tenant_id: str, request: StartSessionRequest) -> str:
    if request.phone is not None:  # a national number is read in the tenant's default country
        return to_e164(request.phone, services.tenants.default_country(tenant_id), field="phone")
    contact = services.contacts.get(tenant_id, request.contact_id or "", consistent=False)
    if contact is None:
        raise NotFound("no such contact", contact_id=request.contact_id)
    phones = list(contact.get("phones") or [])
    if not phones:
        wa = [i["value"] for i in contact.get("identities") or [] if i.get("kind") == "wa"]
        phones = [to_e164(w) for w in wa]
    if not phones:
        raise InvalidInput("the contact has no phone number", field="contact_id")
    return str(phones[0])


def start_session(services: Services, caller: Principal, request: StartSessionRequest,
                  idempotency_key: str | None) -> Started:
    t = caller.tenant_id
    print_ = fingerprint("start", request.model_dump(mode="json"))
    if idempotency_key and (previous := replay(services, t, idempotency_key, print_)) is not None:
        return Started(services.sessions.get(t, previous.message["session_id"]) or {}, previous.message, True)
    channel = services.channels.get(t, request.channel_id)
    if channel is None:
        raise NotFound("no such channel", channel_id=request.channel_id)
    if channel.disabled:
        raise Conflict("the channel is disabled", code="channel_disabled", channel_id=channel.channel_id)
    if channel.kind != "whatsapp":
        raise Conflict("only WhatsApp sessions can be started with a template", code="channel_not_supported")
    if not channel.may_write_first:
        raise Conflict("this channel may not write first to a customer", code="channel_may_not_write_first")
    phone = _recipient(services, t, request)
    wa_id = phone.lstrip("+")
    outgoing = template_outgoing(services, t, channel, wa_id, request.template)
    identifiers = [("wa", wa_id), ("phone", phone)]
    for _ in range(_ATTEMPTS):
        view = services.conversations.look_up(t, channel.channel_id, [wa_id], identifiers)
        pointer = view.pointer
        address = getattr(view, "pointer_address", None) or wa_id  # the sender's canonical thread
        if pointer and pointer.get("session_id") and pointer.get("session_status") != sessions.RESOLVED:
            raise Conflict("this customer already has a session on this channel", code="session_open",
                           session_id=pointer["session_id"])
        contact_id = request.contact_id or view.known_contact_id(identifiers)
        for identifier in identifiers:
            owner = view.owners.get(identifier)
            if contact_id and owner and owner != contact_id:
                raise Conflict("this phone number belongs to another contact", code="identifier_taken",
                               contact_id=owner)
        now = clock.now()
        now_iso = clock.iso(now)
        events: list[DomainEvent] = []
        tx = Transaction()
        if contact_id is None:
            contact_id = ids.new_id()
            put_new_contact(tx, new_contact(t, contact_id, phone, now_iso, phones=[phone], identities=[
                {"kind": "wa", "value": wa_id, "channel_id": channel.channel_id}]))
            events.append(DomainEvent("contact.created", t, {"contact_id": contact_id, "source": "operator"}))
            contact_name = phone
        else:
            contact_name = (services.contacts.get(t, contact_id, consistent=False) or {}).get("name")
            touch_contact(tx, t, contact_id, now_iso, while_writable=False)
        for kind, value in identifiers:
            if (kind, value) not in view.owners:
                claim_identifier(tx, t, kind, value, contact_id)
        session_id = ids.new_id()
        message = message_record(t, channel.channel_id, outgoing, session_id, contact_id, caller.operator_id,
                                 now_iso)
        extra = {"last_inbound_at": pointer["last_inbound_at"]} if pointer and pointer.get("last_inbound_at") else {}
        session = new_session_item(t, session_id, channel.channel_id, contact_id, address,
                                   sessions.AWAITING_CUSTOMER, now_iso, last_message_of(message),
                                   operator_id=caller.operator_id, unread_count=0, unanswered=False,
                                   started_by=caller.operator_id, last_replied_by=caller.operator_id,
                                   **inbox_columns(contact_name, channel), **extra)
        tx.create(session)
        started_pointer_write(tx, t, channel.channel_id, address, contact_id, session_id, pointer,
                              message["message_id"])
        staging = Staging(message, send_request_item(t, idempotency_key, print_, message) if idempotency_key
                          else None, tx)
        try:
            accepted = commit_and_enqueue(services, staging, t, idempotency_key, print_)
        except Conflict as conflict:
            if conflict.code != "session_changed":
                raise
            time.sleep(random.uniform(0.005, 0.05))  # noqa: S311 - jitter before re-reading
            continue
        if accepted.replayed:
            return Started(services.sessions.get(t, accepted.message["session_id"]) or {}, accepted.message, True)
        events.append(DomainEvent("session.created", t, {"session_id": session_id, "contact_id": contact_id,
                                                          "channel_id": channel.channel_id, "by": "operator"}))
        services.bus.publish(events)
        return Started(session, message)
    raise ConcurrentUpdate("could not start the session; try again")

