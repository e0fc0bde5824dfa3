"""Merging contact B (the source) into contact A (the target): a resumable, idempotent procedure.

A merge moves more items than one transaction holds (identifiers, pointers, sessions, every message), so
it runs in steps, each safe to repeat, each conditioned on "still B's":

1. mark     B.merging_into = A and A.absorbing += {B}, and B's thread pointers name A (with A's block, on
            A's list), in one transaction. From here B refuses edits, and the inbound path cannot write to
            B either: a message planned on B's pointer is cancelled (the pointer's contact changed) and the
            next one lands on A; one that finds B by an identifier (no pointer on that channel) waits
            (retries: its profile update requires no ``merging_into``) until the identifier names A.
2. claim    every identifier of B points to A (one held by a third contact is dropped from the merge);
            every thread pointer of B not in the mark (older than the pointer lists) names A.
3. profile  A gains B's phones, emails, identities, tags, attributes (A wins), with a ``merged`` history
            entry, in one transaction that also sets B.merge_profile_done (so it happens once).
4. move     B's sessions (contact and GSI2 key), their messages' contact_id, B's notes and history and
            suppressed messages (copied under A, then deleted from B).
5. finish   delete B, leave the tombstone ``merged_into = A``, A.absorbing -= {B}, in one transaction.

A retry (or a second, concurrent merge of the same pair) joins at step 1 and walks the same steps; a merge
that has finished answers from the tombstone. Sessions keep their ``address``, so replies still go to the
channel identity each session is pinned to.
"""

from __future__ import annotations

from typing import Any

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.domain import contacts as rules
from switchboard.domain import search
from switchboard.contacts.directory import entry
from switchboard.errors import ConcurrentUpdate, Conflict, InvalidInput, NotFound
from switchboard.services import Services
from switchboard.storage.contact_moves import ContactMoves, moved_to_contact, search_entry_keys
from switchboard.storage.contacts import ContactChange
from switchboard.storage.dynamo import TransactionConflict
from switchboard.storage.history import history_item
from switchboard.storage.sessions import SessionColumns

_ATTEMPTS = 6


def merge(services: Services, tenant_id: str, target_id: str, source_id: str, by: str) -> dict[str, Any]:
    """Merge ``source_id`` into ``target_id``; returns the surviving contact."""
    if target_id == source_id:
        raise InvalidInput("a contact cannot be merged into itself", field="contact_id")
    store, moves = services.contacts, ContactMoves(services.table)
    for _ in range(_ATTEMPTS):
        target = store.get(tenant_id, target_id)
        if target is None:
            raise NotFound("no such contact", contact_id=target_id)
        source = store.get(tenant_id, source_id)
        if source is None:
            return _finished(services, tenant_id, target_id, source_id)
        if source.get("merging_into") not in (None, target_id):
            raise Conflict("that contact is being merged into another", code="merge_in_progress",
                           contact_id=source.get("merging_into"))
        if target.get("merging_into") or target.get("erasing") or source.get("erasing"):
            raise Conflict("a contact of this merge is being merged or erased", code="contact_busy")
        if source.get("absorbing"):
            raise Conflict("that contact is absorbing another merge", code="merge_in_progress",
                           contact_id=source_id)
        try:
            # B's thread pointers name A from here on (the inbound path does not check B's profile)
            moves.mark_merge(tenant_id, target, source, clock.iso(clock.now()), by,
                             store.pointers_of(tenant_id, source))
        except TransactionConflict:
            continue  # someone changed one of them: look again
        return _complete(services, moves, tenant_id, target_id, source_id, by)
    raise ConcurrentUpdate("the contacts kept changing; try again")


def _finished(services: Services, tenant_id: str, target_id: str, source_id: str) -> dict[str, Any]:
    stone = services.contacts.tombstone(tenant_id, source_id)
    if stone is None or stone.get("merged_into") != target_id:
        raise NotFound("no such contact", contact_id=source_id)
    target = services.contacts.get(tenant_id, target_id)
    if target is None:
        raise NotFound("no such contact", contact_id=target_id)
    return target


def _complete(services: Services, moves: ContactMoves, tenant_id: str, target_id: str, source_id: str,
              by: str) -> dict[str, Any]:
    store = services.contacts
    source = store.get(tenant_id, source_id)
    if source is None:
        return _finished(services, tenant_id, target_id, source_id)
    identifying = store.identifying(tenant_id)

    # 2. identifiers and thread pointers
    lost = {identifier for identifier in sorted(rules.identifiers_of(source, identifying))
            if not moves.reassign_identifier(tenant_id, *identifier, source_id, target_id)}
    target = store.get(tenant_id, target_id) or {}
    for pointer in store.pointers_of(tenant_id, source):
        moves.reassign_pointer({"pk": pointer["pk"], "sk": pointer["sk"]}, source_id, target_id,
                               target.get("blocked_until"))

    # 3. the surviving profile
    if not source.get("merge_profile_done"):
        _merge_profile(services, moves, tenant_id, target_id, source, identifying, lost, by)
    target = store.get(tenant_id, target_id) or {}

    # 4. sessions, messages, notes and history
    for session in store.sessions_of(tenant_id, source_id):
        moves.reassign_session(tenant_id, session["session_id"], source_id, target_id,
                               target.get("blocked_until"))
        for message in store.session_messages(tenant_id, session["session_id"]):
            if message.get("contact_id") == source_id:
                moves.reassign_message({"pk": message["pk"], "sk": message["sk"]}, source_id, target_id)
    own = store.partition(tenant_id, source_id, "H#") + store.partition(tenant_id, source_id, "M#")
    store.put_items(moved_to_contact(item, tenant_id, target_id) for item in own)
    store.delete_items(own)

    # 5. finish: the source's search entries go with it
    tokens = search_entry_keys(tenant_id, source_id, search.index_tokens(source))
    try:
        moves.finish_merge(tenant_id, target_id, source_id, clock.iso(clock.now()), tokens)
    except TransactionConflict:
        return _finished(services, tenant_id, target_id, source_id)  # a concurrent run finished it
    services.bus.publish([DomainEvent("contact.merged", tenant_id, {"contact_id": target_id,
                                                                    "merged_contact_id": source_id})])
    merged = store.get(tenant_id, target_id) or target
    SessionColumns(services.table).show_contact(tenant_id, target_id, merged)  # B's sessions show A's name
    return merged


def _merge_profile(services: Services, moves: ContactMoves, tenant_id: str, target_id: str,
                   source: dict[str, Any], identifying: set[str], lost: set[tuple[str, str]],
                   by: str) -> None:
    store = services.contacts
    source_id = source["contact_id"]
    kept = _without(source, lost)
    for _ in range(_ATTEMPTS):
        target = store.get(tenant_id, target_id)
        if target is None:
            raise NotFound("no such contact", contact_id=target_id)
        after = {**rules.merged(target, kept), "updated_at": clock.iso(clock.now())}
        diff = rules.changes(target, after)
        at = source.get("merge_started_at") or clock.iso(clock.now())
        note = history_item(tenant_id, target_id, at, entry(
            "merged", by, changes=diff, text=source.get("name"), merged_contact_id=source_id),
            entry_id=f"merge-{source_id}")
        change = ContactChange(
            tenant_id, target_id, target, after, identifying, [note], release_identifiers=False,
            extra=lambda tx: moves.mark_profile_merged(tx, tenant_id, source_id, target_id))
        try:
            store.apply(change)
            return
        except ConcurrentUpdate:
            fresh = store.get(tenant_id, source_id)
            if fresh is None or fresh.get("merge_profile_done"):
                return
        except Conflict as taken:
            # An identifier of B that a third contact took meanwhile: leave it out and go on.
            lost = lost | {(taken.details["kind"], taken.details["value"])}
            kept = _without(source, lost)
    raise ConcurrentUpdate("the target contact kept changing; run the merge again")


def _without(contact: dict[str, Any], lost: set[tuple[str, str]]) -> dict[str, Any]:
    """The contact without the identifiers it could not keep."""
    if not lost:
        return contact
    out = dict(contact)
    out["phones"] = [p for p in contact.get("phones") or [] if ("phone", p) not in lost]
    out["emails"] = [e for e in contact.get("emails") or [] if ("email", e) not in lost]
    out["identities"] = [i for i in contact.get("identities") or [] if (i["kind"], i["value"]) not in lost]
    out["attributes"] = {k: v for k, v in (contact.get("attributes") or {}).items()
                         if (f"attr:{k}", str(v)) not in lost}
    return out
