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
from switchboard.errors import ConcurrentUpdate, Conflict, InvalidInput, NotFound
from switchboard.outbound.models import StartSessionRequest
from switchboard.outbound.sending import (
    Caller,
    commit_and_enqueue,
    fingerprint,
    idempotency_item,
    last_message_of,
    message_record,
    replay,
    template_outgoing,
)
from switchboard.outbound.store import Staging
from switchboard.services import Services
from switchboard.storage import keys
from switchboard.storage.contacts import profile_item, search_index_items
from switchboard.storage.dynamo import Transaction
from switchboard.storage.sessions import inbox_columns

_ATTEMPTS = 5


@dataclass(frozen=True)
class Started:
    session: dict[str, Any]
    message: dict[str, Any]
    replayed: bool = False


def _recipient(services: Services, tenant_id: str, request: StartSessionRequest) -> str:
    if request.phone is not None:  # a national number is read in the tenant's default country
        return to_e164(request.phone, services.tenants.default_country(tenant_id), field="phone")
    contact = services.table.get(keys.contact(tenant_id, request.contact_id or ""))
    if contact is None:
        raise NotFound("no such contact", contact_id=request.contact_id)
    phones = list(contact.get("phones") or [])
    if not phones:
        wa = [i["value"] for i in contact.get("identities") or [] if i.get("kind") == "wa"]
        phones = [to_e164(w) for w in wa]
    if not phones:
        raise InvalidInput("the contact has no phone number", field="contact_id")
    return str(phones[0])


def start_session(services: Services, caller: Caller, request: StartSessionRequest,
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
            contact = {"contact_id": contact_id, "tenant_id": t, "name": phone,
                       "phones": [phone], "emails": [], "identities": [{"kind": "wa", "value": wa_id,
                                                                        "channel_id": channel.channel_id}],
                       "tags": [], "attributes": {}, "created_at": now_iso, "updated_at": now_iso,
                       "last_activity_at": now_iso}
            tx.put(profile_item(contact), condition="attribute_not_exists(pk)")
            for entry in search_index_items(contact, limit=40):  # the directory's search (docs/contacts.md)
                tx.put(entry)
            events.append(DomainEvent("contact.created", t, {"contact_id": contact_id, "source": "operator"}))
            contact_name = phone
        else:
            contact_name = (services.table.get(keys.contact(t, contact_id)) or {}).get("name")
            tx.update(keys.contact(t, contact_id), "SET last_activity_at = :now", {":now": now_iso},
                      condition="attribute_exists(pk)")
        for kind, value in identifiers:
            if (kind, value) not in view.owners:
                tx.put({**keys.identifier(t, kind, value), "contact_id": contact_id, "kind": kind, "value": value,
                        "tenant_id": t}, condition="attribute_not_exists(pk)")
        session_id = ids.new_id()
        message = message_record(t, channel.channel_id, outgoing, session_id, contact_id, caller.operator_id,
                                 now_iso)
        session = {
            **keys.session(t, session_id), keys.GSI1_PK: keys.sessions_index(t), keys.GSI1_SK: f"{now_iso}#{session_id}",
            keys.GSI2_PK: keys.contact_sessions_index(t, contact_id), keys.GSI2_SK: f"{now_iso}#{session_id}",
            "session_id": session_id, "tenant_id": t, "channel_id": channel.channel_id, "contact_id": contact_id,
            "address": address, "status": sessions.AWAITING_CUSTOMER, "operator_id": caller.operator_id,
            "created_at": now_iso, "last_activity_at": now_iso, "unread_count": 0, "unanswered": False,
            "tags": [], "last_message": last_message_of(message), "started_by": caller.operator_id,
            "last_replied_by": caller.operator_id, **inbox_columns(contact_name, channel)}
        if pointer and pointer.get("last_inbound_at"):
            session["last_inbound_at"] = pointer["last_inbound_at"]
        tx.put(session, condition="attribute_not_exists(pk)")
        _pointer_write(tx, t, channel.channel_id, address, contact_id, session_id, pointer, message["message_id"])
        staging = Staging(message, idempotency_item(t, idempotency_key, print_, message) if idempotency_key
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


def _pointer_write(tx: Transaction, tenant_id: str, channel_id: str, address: str, contact_id: str,
                   session_id: str, pointer: dict[str, Any] | None, message_id: str) -> None:
    key = keys.thread(tenant_id, channel_id, address)
    if pointer is None:
        tx.put({**key, "tenant_id": tenant_id, "channel_id": channel_id, "address": address,
                "contact_id": contact_id, "session_id": session_id, "session_status": sessions.AWAITING_CUSTOMER,
                "last_message_id": message_id}, condition="attribute_not_exists(pk)")
        return
    values: dict[str, Any] = {":sid": session_id, ":st": sessions.AWAITING_CUSTOMER, ":c": contact_id,
                              ":m": message_id}
    condition = "attribute_exists(pk)"
    for i, name in enumerate(("session_id", "session_status", "contact_id")):
        if pointer.get(name) is None:
            condition += f" AND attribute_not_exists({name})"
        else:
            values[f":seen{i}"] = pointer[name]
            condition += f" AND {name} = :seen{i}"
    tx.update(key, "SET session_id = :sid, session_status = :st, contact_id = :c, last_message_id = :m "
              "REMOVE resolved_at", values,
              condition=condition)
