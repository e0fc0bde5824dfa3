"""GDPR: anonymise a contact (it stays, without anything that identifies the person) or erase it (the
contact and its conversations are gone). Both are recorded in the tenant's audit log with who and when,
and nothing else about the person than the contact id.

Both are resumable: every step is idempotent, and the step that completes them (the contact's own
write, with the audit record in the same transaction) comes last, so a failure part way is finished by
running the request again.
"""

from __future__ import annotations

import re
from typing import Any

from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.domain import contacts as rules
from switchboard.domain import search
from switchboard.contacts.directory import Edit, entry
from switchboard.errors import ConcurrentUpdate, Conflict, NotFound
from switchboard.services import Services
from switchboard.storage.conversation_search import ConversationIndex
from switchboard.storage.contact_moves import ContactMoves, delete_media, provider_aliases, search_entry_keys
from switchboard.storage.dynamo import TransactionConflict
from switchboard.storage.history import audit_item

ANONYMOUS = "Anonymous"
REDACTED = "[removed]"
_ATTEMPTS = 5


def _media_keys(message: dict[str, Any]) -> list[str]:
    found = [message.get("media_key"), (message.get("media") or {}).get("s3_key")]
    return [k for k in found if k]


def redactor(contact: dict[str, Any]) -> re.Pattern[str] | None:
    """What to cut out of message text: the name (and its words), numbers in their usual forms,
    addresses and channel identities."""
    needles: set[str] = set()
    name = contact.get("name") or ""
    if name:
        needles.add(name)
        needles |= {w for w in re.split(r"\s+", name) if len(w) >= 3}
    for number in contact.get("phones") or []:
        needles |= {number, *search.phone_forms(number)}
    needles |= set(contact.get("emails") or [])
    needles |= {i["value"] for i in contact.get("identities") or []}
    needles |= {str(v) for v in (contact.get("attributes") or {}).values() if len(str(v)) >= 3}
    if not needles:
        return None
    return re.compile("|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True)), re.IGNORECASE)


def anonymize(services: Services, tenant_id: str, contact_id: str, by: str) -> dict[str, Any]:
    store, moves = services.contacts, ContactMoves(services.table)
    contact = services.directory.get(tenant_id, contact_id)
    pattern = redactor(contact)
    media: list[str] = []
    for pointer in store.pointers_of(tenant_id, contact):
        moves.delete_pointer(pointer, contact_id)
    index = ConversationIndex(services.table)
    for session in store.sessions_of(tenant_id, contact_id):
        index.remove_session(tenant_id, session["session_id"])  # its messages and names leave the search
        last = dict(session.get("last_message") or {})
        if last.get("text") and pattern:
            last["text"] = pattern.sub(REDACTED, last["text"])
        moves.anonymize_session(tenant_id, session["session_id"], last or None)
        for message in store.session_messages(tenant_id, session["session_id"]):
            media += _media_keys(message)
            moves.redact_message({"pk": message["pk"], "sk": message["sk"]}, _redacted(message, pattern))
    for message in store.partition(tenant_id, contact_id, "M#"):
        media += _media_keys(message)
        moves.redact_message({"pk": message["pk"], "sk": message["sk"]}, _redacted(message, pattern))
    delete_media(services.settings.media_bucket_name, media)
    # The history holds old values of the contact's data and notes about the person: it goes.
    store.delete_items(store.partition(tenant_id, contact_id, "H#"))
    now_iso = clock.iso(clock.now())
    audit = audit_item(tenant_id, now_iso, "anonymize", contact_id, by)

    def decide(before: dict[str, Any]) -> Edit:
        after = {k: v for k, v in before.items() if k not in ("block_reason", "language")}
        after.update(name=ANONYMOUS, phones=[], emails=[], identities=[], attributes={},
                     anonymized_at=now_iso)
        return Edit(after, entries=[entry("anonymized", by)], extra=lambda tx: tx.put(audit),
                    events=[DomainEvent("contact.anonymized", tenant_id, {"contact_id": contact_id})])

    return services.directory.edit(tenant_id, contact_id, by, decide, kind=None)


def _redacted(message: dict[str, Any], pattern: re.Pattern[str] | None) -> str:
    text = message.get("text") or ""
    return pattern.sub(REDACTED, text) if pattern and text else text


def _mark_erasing(services: Services, moves: ContactMoves, tenant_id: str, contact_id: str) -> dict[str, Any]:
    """Mark the contact as going, its thread pointers gone with the mark (the inbound path does not check
    a listed pointer's contact); read again when a message listed a new pointer meanwhile."""
    for _ in range(_ATTEMPTS):
        contact = services.directory.get(tenant_id, contact_id)
        if contact.get("merging_into") or contact.get("absorbing"):
            raise Conflict("the contact is being merged", code="contact_busy", contact_id=contact_id)
        try:
            moves.mark_erasing(tenant_id, contact, clock.iso(clock.now()),
                               services.contacts.pointers_of(tenant_id, contact))
        except TransactionConflict:
            continue
        return contact
    raise ConcurrentUpdate("the contact kept changing; try again")


def erase(services: Services, tenant_id: str, contact_id: str, by: str) -> None:
    store, moves = services.contacts, ContactMoves(services.table)
    contact = _mark_erasing(services, moves, tenant_id, contact_id)
    media: list[str] = []
    index = ConversationIndex(services.table)
    for session in store.sessions_of(tenant_id, contact_id):
        index.remove_session(tenant_id, session["session_id"])  # before its word set goes with the partition
        items = store.session_partition_items(tenant_id, session["session_id"])
        aliases = provider_aliases(tenant_id, items)
        media += [k for i in items for k in _media_keys(i)]
        store.delete_items(aliases + items)
    for pointer in store.pointers_of(tenant_id, contact):
        moves.delete_pointer(pointer, contact_id)
    for kind, value in rules.identifiers_of(contact, store.identifying(tenant_id)):
        moves.release_identifier(tenant_id, kind, value, contact_id)
    store.delete_items(search_entry_keys(tenant_id, contact_id, search.index_tokens(contact)))
    own = store.partition(tenant_id, contact_id, "H#") + store.partition(tenant_id, contact_id, "M#")
    media += [k for i in own for k in _media_keys(i)]
    store.delete_items(own)
    delete_media(services.settings.media_bucket_name, media)
    audit = audit_item(tenant_id, clock.iso(clock.now()), "erase", contact_id, by)
    try:
        moves.finish_erase(tenant_id, contact_id, audit)
    except ConcurrentUpdate:
        raise NotFound("no such contact", contact_id=contact_id) from None
    services.bus.publish([DomainEvent("contact.erased", tenant_id, {"contact_id": contact_id})])
