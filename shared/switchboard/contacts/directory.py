"""The directory's everyday operations: create, read, edit, identifiers, search, block, notes, history and
the attribute definitions. Merge, session links and GDPR have their own modules.

Every change reads the contact, decides, and writes through ``ContactStore.apply`` (one transaction,
conditioned on the revision read); a lost race reads again, a few times, before giving up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from switchboard import clock, ids
from switchboard.clients.eventbus import DomainEvent, EventBus
from switchboard.domain import contacts as rules
from switchboard.domain import search
from switchboard.domain.lookalikes import email_skeleton
from switchboard.contacts.models import (
    AttributeDefinition,
    BlockIn,
    ContactIn,
    ContactPatch,
    IdentifierIn,
)
from switchboard.domain import blocks
from switchboard.errors import ConcurrentUpdate, Conflict, InvalidInput, NotFound
from switchboard.storage.contact_search import ContactSearchStore, Source
from switchboard.storage.contacts import ContactChange, ContactStore, block_pointers, contact_request_item
from switchboard.storage.dynamo import Transaction
from switchboard.storage.history import HistoryStore, history_item
from switchboard.storage.sessions import SessionColumns
from switchboard.storage.tenants import TenantSettingsStore
from switchboard.storage.pagination import decode_position, encode_position

_ATTEMPTS = 5
IDEMPOTENCY_SECONDS = 24 * 3600
HISTORY_LIMIT = 200
LOOKALIKE_CANDIDATES = 50


@dataclass
class Edit:
    """What an edit decided: the contact after it, what the history says, writes that go with it."""

    after: dict[str, Any]
    entries: list[dict[str, Any]] = field(default_factory=list)
    extra: Callable[[Transaction], None] | None = None
    events: list[DomainEvent] = field(default_factory=list)


def entry(kind: str, by: str, changes: list[dict[str, Any]] | None = None, text: str | None = None,
          **details: Any) -> dict[str, Any]:
    """A history entry's content, with the folded text the history search reads."""
    parts = [kind, text or ""]
    for change in changes or []:
        parts += [change["field"], str(change.get("old") or ""), str(change.get("new") or "")]
    parts += [str(v) for v in details.values() if v]
    body: dict[str, Any] = {"kind": kind, "by": by, "search_text": " ".join(search.words(" ".join(parts)))}
    if changes:
        body["changes"] = changes
    if text:
        body["text"] = text
    body.update({k: v for k, v in details.items() if v is not None})
    return body


class Directory:
    def __init__(self, contacts: ContactStore, finder: ContactSearchStore, history: HistoryStore,
                 bus: EventBus, tenants: TenantSettingsStore | None = None) -> None:
        self.contacts = contacts
        self.finder = finder
        self.history_store = history
        self.bus = bus
        self.tenants = tenants

    def country(self, tenant_id: str) -> str | None:
        """The tenant's default country, which reads the national numbers operators type."""
        return self.tenants.default_country(tenant_id) if self.tenants is not None else None

    # Attribute definitions --------------------------------------------------------------------------
    def attribute_definitions(self, tenant_id: str) -> list[dict[str, Any]]:
        return self.contacts.attribute_definitions(tenant_id)

    def define_attributes(self, tenant_id: str,
                          definitions: list[AttributeDefinition]) -> list[dict[str, Any]]:
        names = [d.name for d in definitions]
        if len(set(names)) != len(names):
            raise InvalidInput("attribute names must be unique", field="definitions")
        stored = [d.model_dump(exclude_none=True) for d in definitions]
        self.contacts.put_attribute_definitions(tenant_id, stored, clock.iso(clock.now()))
        return stored

    # Reads ------------------------------------------------------------------------------------------
    def get(self, tenant_id: str, contact_id: str) -> dict[str, Any]:
        item = self.contacts.get(tenant_id, contact_id)
        if item is None:
            raise NotFound("no such contact", contact_id=contact_id)
        return item

    def search(self, tenant_id: str, q: str | None, filters: search.Filters, cursor: str | None,
               limit: int) -> tuple[list[dict[str, Any]], str | None]:
        """One page of contacts answering ``q`` and the filters. A page reads one index partition (at most
        ``limit`` entries) and at most ``limit`` contacts; the contacts that fail a term or a filter are
        left out, so a page can hold fewer than ``limit`` contacts while ``next_cursor`` goes on."""
        # the tenant's country is read only for a query that looks like a phone number
        terms = search.query_terms(q, self.country(tenant_id) if search.looks_like_phone(q) else None)
        if terms:
            source = Source("token", token=search.driving_token(terms))
        elif filters.tag:
            source = Source("token", token=search.tag_token(filters.tag))
        elif filters.attributes:
            name, value = sorted(filters.attributes.items())[0]
            source = Source("token", token=search.attribute_token(name, value))
        elif filters.blocked:
            source = Source("blocked")
        else:
            source = Source("all", created_from=filters.created_from, created_to=filters.created_to)
        page = self.finder.candidates(tenant_id, source, cursor, limit)
        now = clock.now()
        found = [c for c in page.contacts
                 if search.matches(c, terms, filters, blocks.is_blocked(c.get("blocked_until"), now))]
        return found, page.cursor

    def history(self, tenant_id: str, contact_id: str, q: str | None, cursor: str | None = None,
                limit: int = HISTORY_LIMIT) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the contact's timeline, newest first: sessions on every channel, notes, every change,
        messages kept under the contact (a campaign's).
        Every source is sorted by "<time>#<id>"; a page reads at most ``limit`` of each, merges them and
        ends at the ``limit``-th; the cursor is that entry's position. Entries that miss ``q`` are left out
        after reading, so a page may be short while ``next_cursor`` goes on."""
        self.get(tenant_id, contact_id)
        before = decode_position(cursor)
        timeline = [(str(e["sk"])[2:], dict(e))
                    for e in self.history_store.entries(tenant_id, contact_id, limit, before)]
        for session in self.history_store.sessions(tenant_id, contact_id, limit, before):
            last = session.get("last_message") or {}
            timeline.append((str(session.get("gsi2sk") or f"{session['created_at']}#{session['session_id']}"),
                             entry("session", by="customer" if last.get("direction") == "in" else "operator",
                                   text=last.get("text"), session_id=session["session_id"],
                                   channel_id=session.get("channel_id"),
                                   details={"status": session.get("status"),
                                            "last_activity_at": session.get("last_activity_at")})
                             | {"at": session["created_at"]}))
        for message in self.history_store.messages(tenant_id, contact_id, limit, before):
            # what we sent the customer outside a session (a campaign's template), as the customer saw it
            outbound = message.get("direction") == "out"
            timeline.append((str(message["sk"])[2:],
                             entry("message", by="campaign" if message.get("campaign_id") else
                                   ("operator" if outbound else "customer"), text=message.get("text"),
                                   channel_id=message.get("channel_id"),
                                   details={"message_id": message.get("message_id"),
                                            "direction": message.get("direction"),
                                            "status": message.get("status"),
                                            "campaign_id": message.get("campaign_id"),
                                            "suppressed": message.get("suppressed")})
                             | {"at": message.get("sent_at") or message["sk"].split("#")[1]}))
        timeline.sort(key=lambda pair: pair[0], reverse=True)
        page = timeline[:limit]
        next_cursor = encode_position(page[-1][0]) if len(page) == limit else None
        terms = search.words(q or "")
        entries = [e for _, e in page]
        if terms:
            entries = [e for e in entries
                       if all(any(w.startswith(t) for w in e.get("search_text", "").split()) for t in terms)]
        return entries, next_cursor

    # Writes -----------------------------------------------------------------------------------------
    def create(self, tenant_id: str, data: ContactIn, by: str,
               idempotency_key: str | None = None) -> tuple[dict[str, Any], bool]:
        """A new contact, and whether it was created now (False: the replay of an ``Idempotency-Key``)."""
        fingerprint = hashlib.sha256(data.model_dump_json().encode()).hexdigest()
        if idempotency_key and (previous := self._replay(tenant_id, idempotency_key, fingerprint)):
            return previous, False
        definitions = self.contacts.attribute_definitions(tenant_id)
        now = clock.now()
        now_iso = clock.iso(now)
        contact_id = ids.new_id()
        contact = {"contact_id": contact_id, "tenant_id": tenant_id, "created_at": now_iso,
                   "updated_at": now_iso, "last_activity_at": now_iso, "name_source": "operator",
                   **normalised(data.model_dump(), definitions, country=self.country(tenant_id))}
        identifying = {d["name"] for d in definitions if d.get("identifying")}
        if lookalike := self.lookalike_of(tenant_id, contact["emails"]):
            contact["possible_duplicate_of"] = lookalike
        created = history_item(tenant_id, contact_id, now_iso, entry("created", by))
        request = None
        if idempotency_key:
            request = contact_request_item(tenant_id, idempotency_key, contact_id, fingerprint,
                                           int(now.timestamp()) + IDEMPOTENCY_SECONDS)
        try:
            self.contacts.apply(ContactChange(tenant_id, contact_id, None, contact, identifying, [created]),
                                extra=(lambda tx: tx.create(request))
                                if request else None)
        except Conflict:
            # A concurrent request with the same key won; answer as it did.
            if idempotency_key and (previous := self._replay(tenant_id, idempotency_key, fingerprint)):
                return previous, False
            raise
        except ConcurrentUpdate:
            if idempotency_key and (previous := self._replay(tenant_id, idempotency_key, fingerprint)):
                return previous, False
            raise
        self.bus.publish([DomainEvent("contact.created", tenant_id,
                                      {"contact_id": contact_id, "source": "api"})])
        return contact, True

    def lookalike_of(self, tenant_id: str, emails: list[str]) -> str | None:
        """An existing contact with an address that looks like one of ``emails`` but is another mailbox
        (full-width letters, a Cyrillic а, a ligature): one index page per address, no scan."""
        for address in emails:
            wanted = email_skeleton(address)
            local_words = search.words(wanted.rpartition("@")[0])
            if not local_words:
                continue
            token = search.driving_token(local_words)
            page = self.finder.candidates(tenant_id, Source("token", token=token), None, LOOKALIKE_CANDIDATES)
            for candidate in page.contacts:
                if any(other != address and email_skeleton(other) == wanted for other in candidate.get("emails") or []):
                    return str(candidate["contact_id"])
        return None

    def _replay(self, tenant_id: str, idempotency_key: str, fingerprint: str) -> dict[str, Any] | None:
        previous = self.contacts.contact_request(tenant_id, idempotency_key)
        if previous is None:
            return None
        if previous.get("fingerprint") != fingerprint:
            raise Conflict("this Idempotency-Key was used for a different request",
                           code="idempotency_key_reused")
        contact = self.contacts.get(tenant_id, previous["contact_id"])
        if contact is None:
            raise NotFound("the contact this Idempotency-Key created is gone",
                           contact_id=previous["contact_id"])
        return contact

    def update(self, tenant_id: str, contact_id: str, patch: ContactPatch, by: str) -> dict[str, Any]:
        sent = patch.model_dump(exclude_unset=True)
        if "name" in sent and sent["name"] is None:
            raise InvalidInput("a contact has a name", field="name")
        definitions = self.contacts.attribute_definitions(tenant_id)
        country = self.country(tenant_id)

        def change(before: dict[str, Any]) -> Edit:
            fields = {k: v for k, v in sent.items()}
            if "attributes" in fields:
                sent_attributes = (fields["attributes"] or {}).items()
                fields["attributes"] = {k: v for k, v in sent_attributes if v is not None}
            after = {**before, **normalised(fields, definitions, partial=True, country=country)}
            if "name" in sent:
                after["name_source"] = "operator"  # the address book no longer renames it (docs/coexistence.md)
            return Edit(after)

        return self.edit(tenant_id, contact_id, by, change, identifying=_identifying(definitions))

    def add_identifier(self, tenant_id: str, contact_id: str, data: IdentifierIn, by: str) -> dict[str, Any]:
        definitions = self.contacts.attribute_definitions(tenant_id)
        kind, value = rules.identifier(data.kind, data.value, country=self.country(tenant_id))

        def change(before: dict[str, Any]) -> Edit:
            after = dict(before)
            if kind == "phone":
                after["phones"] = _with(before.get("phones"), value)
            elif kind == "email":
                after["emails"] = _with(before.get("emails"), value)
            elif kind in rules.IDENTITY_KINDS:
                identity = {"kind": kind, "value": value}
                if data.channel_id:
                    identity["channel_id"] = data.channel_id
                if not any((i["kind"], i["value"]) == (kind, value) for i in before.get("identities") or []):
                    after["identities"] = [*(before.get("identities") or []), identity]
            else:
                name = kind.split(":", 1)[1]
                if name not in _identifying(definitions):
                    raise InvalidInput(f"'{name}' is not an identifying attribute", field="kind")
                after["attributes"] = {**(before.get("attributes") or {}), name: value}
            return Edit(after)

        return self.edit(tenant_id, contact_id, by, change, identifying=_identifying(definitions),
                         kind="identifier_added")

    def remove_identifier(self, tenant_id: str, contact_id: str, kind: str, value: str,
                          by: str) -> dict[str, Any]:
        definitions = self.contacts.attribute_definitions(tenant_id)
        kind, value = rules.identifier(kind, value, country=self.country(tenant_id))

        def change(before: dict[str, Any]) -> Edit:
            if (kind, value) not in rules.identifiers_of(before, _identifying(definitions)):
                raise NotFound("the contact has no such identifier", kind=kind)
            after = dict(before)
            after["phones"] = [p for p in before.get("phones") or [] if ("phone", p) != (kind, value)]
            after["emails"] = [e for e in before.get("emails") or [] if ("email", e) != (kind, value)]
            after["identities"] = [i for i in before.get("identities") or []
                                   if (i["kind"], i["value"]) != (kind, value)]
            if kind.startswith("attr:"):
                after["attributes"] = {k: v for k, v in (before.get("attributes") or {}).items()
                                       if k != kind.split(":", 1)[1]}
            return Edit(after)

        return self.edit(tenant_id, contact_id, by, change, identifying=_identifying(definitions),
                         kind="identifier_removed")

    def add_note(self, tenant_id: str, contact_id: str, text: str, by: str) -> dict[str, Any]:
        def change(before: dict[str, Any]) -> Edit:
            return Edit(dict(before), entries=[entry("note", by, text=text)])

        self.edit(tenant_id, contact_id, by, change, kind=None)
        return entry("note", by, text=text) | {"at": clock.iso(clock.now())}

    def block(self, tenant_id: str, contact_id: str, data: BlockIn, by: str) -> dict[str, Any]:
        until = rules.block_until(data.duration, clock.now(), data.until)
        return self._set_block(tenant_id, contact_id, by, until, data.reason)

    def unblock(self, tenant_id: str, contact_id: str, by: str) -> dict[str, Any]:
        return self._set_block(tenant_id, contact_id, by, None, None)

    def _set_block(self, tenant_id: str, contact_id: str, by: str, until: str | None,
                   reason: str | None) -> dict[str, Any]:
        def change(before: dict[str, Any]) -> Edit:
            after = {k: v for k, v in before.items() if k not in ("blocked_until", "block_reason")}
            if until:
                after["blocked_until"] = until
                if reason:
                    after["block_reason"] = reason
            pointers = self.contacts.pointers_of(tenant_id, before)

            def extra(tx: Transaction) -> None:
                # Every thread pointer of the contact carries the block, so the inbound path sees it
                # without reading the contact; an inbound write planned before this one is retried.
                block_pointers(tx, contact_id, pointers, until)

            kind = "blocked" if until else "unblocked"
            text = f"until {until}" + (f": {reason}" if reason else "") if until else None
            event = DomainEvent(f"contact.{kind}", tenant_id,
                                {"contact_id": contact_id, "blocked_until": until})
            return Edit(after, entries=[entry(kind, by, text=text)], extra=extra, events=[event])

        contact = self.edit(tenant_id, contact_id, by, change, kind=None)
        # The block is shown on the contact's sessions too (display only; the profile enforces it).
        SessionColumns(self.contacts.table).show_contact(tenant_id, contact_id, contact)
        return contact

    def edit(self, tenant_id: str, contact_id: str, by: str, decide: Callable[[dict[str, Any]], Edit],
             identifying: set[str] | None = None, kind: str | None = "updated") -> dict[str, Any]:
        """Read, decide, write in one transaction; read again when someone else wrote first."""
        if identifying is None:
            identifying = self.contacts.identifying(tenant_id)
        for _ in range(_ATTEMPTS):
            before = self.get(tenant_id, contact_id)
            if before.get("merging_into") or before.get("erasing"):
                raise Conflict("the contact is being merged or erased", code="contact_busy",
                               contact_id=contact_id)
            edit = decide(before)
            now_iso = clock.iso(clock.now())
            diff = rules.changes(before, edit.after)
            entries = list(edit.entries)
            if kind and diff:
                entries.insert(0, entry(kind, by, changes=diff))
            if not entries and not diff:
                return before
            after = {**edit.after, "updated_at": now_iso}
            items = [history_item(tenant_id, contact_id, now_iso, e) for e in entries]
            try:
                self.contacts.apply(ContactChange(tenant_id, contact_id, before, after, identifying, items,
                                                  extra=edit.extra))
            except ConcurrentUpdate:
                continue
            if (before.get("name") or None) != (after.get("name") or None):  # the inbox shows the new name
                SessionColumns(self.contacts.table).show_contact(tenant_id, contact_id, after)
            events = list(edit.events)
            if diff:
                events.append(DomainEvent("contact.updated", tenant_id, {
                    "contact_id": contact_id, "fields": [c["field"] for c in diff]}))
            self.bus.publish(events)
            return after
        raise ConcurrentUpdate("the contact kept changing; try again")


def _identifying(definitions: list[dict[str, Any]]) -> set[str]:
    return {d["name"] for d in definitions if d.get("identifying")}


def _with(values: list[str] | None, value: str) -> list[str]:
    current = list(values or [])
    return current if value in current else [*current, value]


def normalised(data: dict[str, Any], definitions: list[dict[str, Any]],
               partial: bool = False, country: str | None = None) -> dict[str, Any]:
    """A contact's fields as stored: trimmed name, normalised emails and phones (national numbers read in
    the tenant's ``country``), known attributes only."""
    out: dict[str, Any] = {}
    if "name" in data:
        name = (data["name"] or "").strip()
        if not name:
            raise InvalidInput("a contact has a name", field="name")
        out["name"] = name
    if "emails" in data:
        emails = enumerate(data["emails"] or [])
        out["emails"] = list(dict.fromkeys(rules.email(e, f"emails.{i}") for i, e in emails))
    if "phones" in data:
        phones = enumerate(data["phones"] or [])
        out["phones"] = list(dict.fromkeys(rules.phone(p, f"phones.{i}", country) for i, p in phones))
    if "identities" in data:
        identities = []
        for i, identity in enumerate(data["identities"] or []):
            kind, value = identity["kind"], identity["value"].strip()
            if kind in rules.PLAIN_KINDS[:2] or kind.startswith("attr"):
                raise InvalidInput("phones and emails have their own fields", field=f"identities.{i}.kind")
            item = {"kind": kind, "value": rules.identifier(kind, value, f"identities.{i}.value")[1]} \
                if kind in rules.IDENTITY_KINDS else {"kind": kind, "value": value}
            if identity.get("channel_id"):
                item["channel_id"] = identity["channel_id"]
            if all((x["kind"], x["value"]) != (item["kind"], item["value"]) for x in identities):
                identities.append(item)
        out["identities"] = identities
    if "attributes" in data:
        known = {d["name"] for d in definitions}
        attributes = {}
        for name, value in (data["attributes"] or {}).items():
            if name not in known:
                raise InvalidInput(f"'{name}' is not a defined contact attribute", field=f"attributes.{name}")
            attributes[name] = value
        out["attributes"] = attributes
    if "tags" in data:
        out["tags"] = list(dict.fromkeys(rules.tag(t, f"tags.{i}") for i, t in enumerate(data["tags"] or [])))
    if "language" in data:
        if data["language"]:
            out["language"] = data["language"]
        elif partial:
            out["language"] = None
    if not partial:
        for name in ("emails", "phones", "identities", "tags"):
            out.setdefault(name, [])
        out.setdefault("attributes", {})
    return out
