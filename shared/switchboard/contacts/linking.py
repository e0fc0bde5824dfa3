"""Linking a session to an existing contact, or unlinking it (the session gets a fresh contact).

The session's thread (its channel identity: the WhatsApp id or BSUID it is pinned to, and the phone
number of a WhatsApp id) goes with it: in one transaction the session names the new contact, the thread
pointer names it (so the next message from that sender lands there), the identifier items move, and both
profiles and histories change. Then the session's messages are re-labelled (idempotent, so a retried
request finishes the job).
"""

from __future__ import annotations

from typing import Any

from switchboard import clock, ids
from switchboard.clients.eventbus import DomainEvent
from switchboard.contacts.directory import entry
from switchboard.domain.phones import wa_id_to_e164
from switchboard.errors import ConcurrentUpdate, Conflict, NotFound
from switchboard.services import Services
from switchboard.storage.contact_moves import ContactMoves, relink_session
from switchboard.storage.contacts import THREAD_LISTED, ContactChange, new_contact, with_thread
from switchboard.storage.dynamo import Transaction
from switchboard.storage.history import history_item
from switchboard.storage.sessions import SessionColumns

_ATTEMPTS = 5


def link(services: Services, tenant_id: str, session_id: str, target_id: str | None,
         by: str) -> dict[str, Any]:
    """Move a session to ``target_id``, or to a fresh contact when None; returns the session."""
    store = services.contacts
    for _ in range(_ATTEMPTS):
        session = services.sessions.get(tenant_id, session_id)
        if session is None:
            raise NotFound("no such session", session_id=session_id)
        old_id = session["contact_id"]
        if target_id == old_id:
            _relabel_messages(services, tenant_id, session_id, target_id)
            return session
        target = store.get(tenant_id, target_id) if target_id else None
        if target_id and target is None:
            raise NotFound("no such contact", contact_id=target_id)
        old = store.get(tenant_id, old_id)
        for contact in (target, old):
            if contact and (contact.get("merging_into") or contact.get("erasing")):
                raise Conflict("a contact of this link is being merged or erased", code="contact_busy")
        now_iso = clock.iso(clock.now())
        fresh = None if target else _fresh_contact(tenant_id, session, now_iso)
        pointer = services.sessions.pointer_of(session)
        if pointer is not None and pointer.get("contact_id") != old_id:
            pointer = None
        changes, new_contact_id = _changes(services, tenant_id, session, old, target, fresh, by, now_iso, pointer)
        destination = changes[-1].after or {}

        def extra(tx: Transaction, old_id: str = old_id) -> None:
            relink_session(tx, tenant_id, session_id, old_id, new_contact_id, pointer,
                           destination.get("blocked_until"))

        try:
            store.apply(*changes, extra=extra)
        except ConcurrentUpdate:
            continue
        _relabel_messages(services, tenant_id, session_id, new_contact_id, old_id)
        # the session (and its thread) shows the contact it is now with
        SessionColumns(services.table).show_contact(tenant_id, new_contact_id, destination)
        events = [DomainEvent("contact.updated", tenant_id,
                              {"contact_id": c.contact_id, "fields": ["sessions"]})
                  for c in changes if c.before is not None]
        if target is None:
            events.append(DomainEvent("contact.created", tenant_id, {"contact_id": new_contact_id,
                                                                     "source": "unlink"}))
        services.bus.publish(events)
        return services.sessions.get(tenant_id, session_id) or session
    raise ConcurrentUpdate("the session or its contacts kept changing; try again")


def _fresh_contact(tenant_id: str, session: dict[str, Any], now_iso: str) -> dict[str, Any]:
    """The contact an unlinked session gets, named by its number (or address)."""
    address = session.get("address") or ""
    return {**new_contact(tenant_id, ids.new_id(), wa_id_to_e164(address) or address or "Unknown", now_iso),
            "last_activity_at": session.get("last_activity_at") or now_iso}


def _changes(services: Services, tenant_id: str, session: dict[str, Any], old: dict[str, Any] | None,
             target: dict[str, Any] | None, fresh: dict[str, Any] | None, by: str,
             now_iso: str, pointer: dict[str, Any] | None = None) -> tuple[list[ContactChange], str]:
    """The two profile changes: the old contact gives up the session's thread identity (and its thread
    pointer, off its list), the new one takes it (on its list: a block of the new contact writes it)."""
    identifying = services.contacts.identifying(tenant_id)
    address = session.get("address")
    destination = target or fresh or {}
    dest_id = destination["contact_id"]
    moving_identities = [i for i in (old or {}).get("identities") or []
                         if address and i["value"] == address]
    pinned_to_wa = any(i["kind"] == "wa" for i in moving_identities)
    phone = wa_id_to_e164(address) if pinned_to_wa and address else None
    moving_phones = [phone] if phone and phone in (old or {}).get("phones", []) else []
    sid = session["session_id"]
    changes = []
    if old is not None:
        old_after = {**old, "updated_at": now_iso,
                     "identities": [i for i in old.get("identities") or [] if i not in moving_identities],
                     "phones": [p for p in old.get("phones") or [] if p not in moving_phones]}
        if pointer is not None:
            old_after = with_thread(old_after, pointer, listed=False)
        changes.append(ContactChange(tenant_id, old["contact_id"], old, old_after, identifying, [history_item(
            tenant_id, old["contact_id"], now_iso, entry("session_unlinked", by, session_id=sid,
                                                           channel_id=session.get("channel_id")))],
            release_identifiers=False))
    dest_after = {**destination, "updated_at": now_iso,
                  "identities": [*(destination.get("identities") or []),
                                 *[i for i in moving_identities
                                   if i not in (destination.get("identities") or [])]],
                  "phones": [*(destination.get("phones") or []),
                             *[p for p in moving_phones if p not in (destination.get("phones") or [])]]}
    if pointer is not None and pointer.get(THREAD_LISTED):
        dest_after = with_thread(dest_after, pointer)
    entries = [history_item(tenant_id, dest_id, now_iso, entry("session_linked", by, session_id=sid,
                                                               channel_id=session.get("channel_id")))]
    if fresh is not None:
        entries.insert(0, history_item(tenant_id, dest_id, now_iso, entry("created", by)))
    changes.append(ContactChange(tenant_id, dest_id, target, dest_after, identifying, entries,
                                 adopt_from=old["contact_id"] if old else None))
    return changes, dest_id


def _relabel_messages(services: Services, tenant_id: str, session_id: str, contact_id: str | None,
                      old_id: str | None = None) -> None:
    moves = ContactMoves(services.table)
    for message in services.contacts.session_messages(tenant_id, session_id):
        current = message.get("contact_id")
        if current and current != contact_id and (old_id is None or current == old_id):
            moves.reassign_message({"pk": message["pk"], "sk": message["sk"]}, current, contact_id or "")
