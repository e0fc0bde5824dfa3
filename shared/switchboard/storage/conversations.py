"""The inbound write path: where a sender stands (one BatchGetItem) and a message recorded with its
contact, session and thread pointer (one TransactWriteItems). Every uniqueness rule is a condition in
that transaction: an identifier held by one contact, one thread pointer per sender and channel, one
message per provider id. A lost race cancels the whole transaction; nothing is half-written.

The thread pointer (``keys.thread``) is what makes a known sender cheap: it carries the contact, the
current session and its state, the time of the last inbound message (the 24-hour window) and the block.
Every write to it is conditioned on the fields the decision was made from (contact, session, session
state, block), so a stale read never overwrites a newer decision, while two messages to the same open
session do not conflict with each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from switchboard.storage import keys
from switchboard.storage.contacts import THREADS, claim_identifier, put_new_contact, touch_contact
from switchboard.storage.dynamo import Table, Transaction, TransactionConflict
from switchboard.storage.sessions import (
    business_message_update,
    customer_message_update,
    outbound_summary,
    survey_answer_update,
)

SessionMode = Literal["existing", "reopen", "new", "none", "answer"]  # answer: to the survey, stays resolved
# What an inbound decision depends on; a change to any of them since the read cancels the write.
GUARDED_POINTER_FIELDS = ("contact_id", "session_id", "session_status", "blocked_until")


@dataclass(frozen=True)
class ThreadView:
    """What the store knows of a sender on a channel.

    ``pointer`` is the sender's canonical thread pointer (``pointer_address`` names it); a sender known by
    two addresses (WhatsApp id and business-scoped user id) has one canonical pointer and an alias pointer
    (``alias_of``) for the other address. ``addresses_seen`` are the addresses that have a pointer item of
    any kind; ``target`` is the provider-id alias of the message a reaction, edit or revoke refers to."""

    pointer: dict[str, Any] | None
    owners: dict[tuple[str, str], str]  # (identifier kind, value) -> contact_id
    pointer_address: str | None = None
    addresses_seen: frozenset[str] = frozenset()
    target: dict[str, Any] | None = None
    contact: dict[str, Any] | None = None  # the profile, read only after the contact's block was not as guessed

    def known_contact_id(self, identifiers: list[tuple[str, str]]) -> str | None:
        if self.pointer:
            return str(self.pointer["contact_id"])
        for identifier in identifiers:
            if identifier in self.owners:
                return self.owners[identifier]
        return None


@dataclass
class InboundRecord:
    """Everything one inbound message writes. Built by ``switchboard.inbound.resolution``."""

    tenant_id: str
    channel_id: str
    address: str
    contact_id: str
    provider_message_id: str
    message: dict[str, Any]
    now_iso: str
    new_contact: dict[str, Any] | None = None
    claim_identifiers: list[tuple[str, str]] = field(default_factory=list)
    session_mode: SessionMode = "existing"
    session_id: str | None = None
    new_session: dict[str, Any] | None = None
    session_summary: dict[str, Any] = field(default_factory=dict)
    pointer_seen: dict[str, Any] | None = None  # the pointer as read; None: it does not exist yet
    pointer_fields: dict[str, Any] = field(default_factory=dict)
    alias_addresses: list[str] = field(default_factory=list)  # addresses to point at ``address``
    moved_pointer: dict[str, Any] | None = None  # a number change: the pointer's new item (new address)
    target_update: TargetUpdate | None = None  # a reaction, edit or revoke applied to its message
    contact_additions: dict[str, list[Any]] = field(default_factory=dict)  # list attributes to extend
    contact_blocked: bool = False  # what the plan took the contact's block to be; the write checks it
    touch_contact: bool = True  # move the contact's last_activity_at; else only check it may be written to
    # Whether a known contact's profile is checked when nothing of it is written. Not when the pointer is on
    # the contact's list (``THREADS``) and the plan took it for unblocked from the pointer: a block, merge or
    # erasure writes each listed pointer in its own transaction, which the pointer's guard then catches.
    check_contact: bool = True
    list_pointer: bool = False  # the pointer written (and a moved one) joins the contact's list
    # A message the business typed in the WhatsApp Business app (coexistence, docs/coexistence.md): stored as
    # outbound; the session's summary moves, its window, unread count and state do not.
    business_echo: bool = False


@dataclass(frozen=True)
class TargetUpdate:
    """An update of another stored message (``key``), applied in the same transaction."""

    key: dict[str, str]
    expression: str
    values: dict[str, Any] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def reaction(cls, key: dict[str, str], reaction: dict[str, Any] | None) -> TargetUpdate:
        """A reaction set on the message, or removed (``None``: the customer took it back)."""
        if reaction is None:
            return cls(key, "REMOVE reaction")
        return cls(key, "SET reaction = :r", {":r": reaction})

    @classmethod
    def edit(cls, key: dict[str, str], text: str, at: str, by: str, content: Any = None) -> TargetUpdate:
        values: dict[str, Any] = {":t": text, ":at": at, ":by": by}
        expression = "SET #text = :t, edited_at = :at, edited_by = :by"
        if content:
            values[":c"] = content
            expression += ", content = :c"
        return cls(key, expression, values, {"#text": "text"})

    @classmethod
    def revoke(cls, key: dict[str, str], text: str, at: str) -> TargetUpdate:
        return cls(key, "SET revoked_at = :at, #text = :t REMOVE content", {":at": at, ":t": text},
                   {"#text": "text"})


def moved_pointer_item(pointer: dict[str, Any], tenant_id: str, channel_id: str, address: str) -> dict[str, Any]:
    """A thread pointer moved to a sender's new number (the old one becomes its alias)."""
    moved = {**pointer, **keys.thread(tenant_id, channel_id, address), "address": address}
    moved.pop("alias_of", None)
    return moved


class DuplicateMessage(Exception):
    """The provider id was stored before: a redelivery. Nothing was written."""


class ContactChanged(TransactionConflict):
    """The contact's write was refused: its block is not what the plan took it to be (or it is being
    merged or erased). Read the profile and plan again."""


class ConversationStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def look_up(self, tenant_id: str, channel_id: str, addresses: list[str],
                identifiers: list[tuple[str, str]], target_provider_id: str | None = None) -> ThreadView:
        """One BatchGetItem: the pointers of every address of the sender, the identifiers' owners and, for
        a reaction, edit or revoke, the provider-id alias of its target. A second read happens only when
        the sender comes with an address whose pointer is an alias of one not asked for."""
        wanted = [keys.thread(tenant_id, channel_id, a) for a in addresses] + [
            keys.identifier(tenant_id, kind, value) for kind, value in identifiers]
        if target_provider_id:
            wanted.append(keys.provider_id(tenant_id, target_provider_id))
        pointers: dict[str, dict[str, Any]] = {}
        owners: dict[tuple[str, str], str] = {}
        target = None
        pointer_prefix = keys.thread(tenant_id, channel_id, "")["pk"]
        for item in self.table.get_many(wanted, consistent=True):
            if item["sk"] == "PTR" and item["pk"].startswith(pointer_prefix):
                pointers[item["pk"][len(pointer_prefix):]] = item
            elif item["sk"] == "ID":
                kind, value = item["pk"].split("#ID#", 1)[1].split("#", 1)
                owners[(kind, value)] = item["contact_id"]
            else:
                target = item
        canonical = next((a for a in addresses if a in pointers and not pointers[a].get("alias_of")), None)
        pointer = pointers.get(canonical) if canonical else None
        if canonical is None:
            alias = next((pointers[a]["alias_of"] for a in addresses if a in pointers), None)
            if alias is not None:
                pointer = self.table.get(keys.thread(tenant_id, channel_id, alias), consistent=True)
                canonical = alias if pointer is not None else None
        return ThreadView(pointer, owners, canonical, frozenset(pointers), target)

    def contact(self, tenant_id: str, contact_id: str) -> dict[str, Any] | None:
        """The sender's profile (its block), read when a planned write found the block not as guessed."""
        return self.table.get(keys.contact(tenant_id, contact_id), consistent=True)

    def record(self, record: InboundRecord) -> None:
        """Write the message and everything it changes, atomically.

        Raises DuplicateMessage on a redelivery, TransactionConflict when another writer changed the
        sender's pointer, contact or identifiers since ``look_up`` (the caller reads again)."""
        tx = Transaction()
        t = record.tenant_id
        alias = tx.put({**keys.provider_id(t, record.provider_message_id),
                        "session_id": record.session_id, "message_sk": record.message["sk"],
                        "message_pk": record.message["pk"], "direction": "in", "contact_id": record.contact_id},
                       condition="attribute_not_exists(pk)")
        tx.put(record.message, condition="attribute_not_exists(pk)")
        contact_at = -1
        threads = []
        if record.list_pointer:
            threads = [keys.thread(t, record.channel_id, record.address)[keys.PK]]
            if record.moved_pointer is not None:
                threads.append(record.moved_pointer[keys.PK])
        if record.new_contact is not None:
            # with its first search entries (storage/contacts.py) and its pointer on its list
            put_new_contact(tx, {**record.new_contact, THREADS: set(threads)} if threads else record.new_contact)
        else:
            # The block lives on the profile: the message is suppressed, or not, as the profile still says.
            # A contact touched within the hour is not rewritten (a condition check only, or nothing at all
            # when its listed pointer vouches for it: ``check_contact``).
            contact_at = touch_contact(tx, t, record.contact_id, record.now_iso, additions=record.contact_additions,
                                       blocked=None if record.business_echo else record.contact_blocked,
                                       touch=record.touch_contact, threads=threads, check=record.check_contact)
        for kind, value in record.claim_identifiers:
            claim_identifier(tx, t, kind, value, record.contact_id)
        self._session_write(tx, record)
        self._pointer_write(tx, record)
        for address in record.alias_addresses:
            tx.put({**keys.thread(t, record.channel_id, address), "alias_of": record.address,
                    "contact_id": record.contact_id, "tenant_id": t, "channel_id": record.channel_id,
                    "address": address}, condition="attribute_not_exists(pk)")
        if record.moved_pointer is not None:
            tx.put(record.moved_pointer, condition="attribute_not_exists(pk)")
        if record.target_update is not None:
            update = record.target_update
            tx.update(update.key, update.expression, update.values or None, update.names or None,
                      condition="attribute_exists(pk)")
        try:
            self.table.commit(tx)
        except TransactionConflict as conflict:
            if conflict.failed_at(alias):
                raise DuplicateMessage(record.provider_message_id) from conflict
            if record.new_contact is None and contact_at >= 0 and conflict.failed_at(contact_at):
                raise ContactChanged(conflict.reasons) from conflict
            raise

    @staticmethod
    def _session_write(tx: Transaction, record: InboundRecord) -> None:
        if record.session_mode == "none":
            return
        if record.session_mode == "new":
            tx.put(record.new_session or {}, condition="attribute_not_exists(pk)")
            return
        summary = record.session_summary
        if record.business_echo:
            business_message_update(tx, record.tenant_id, record.session_id or "", summary["last_message"],
                                    summary["last_activity_at"])
            return
        if record.session_mode == "answer":
            survey_answer_update(tx, record.tenant_id, record.session_id or "", summary["last_message"],
                                 summary["last_activity_at"], summary["last_inbound_at"])
            return
        if record.message["direction"] == "out" and record.session_mode == "existing":
            # a call the business placed: shown last, leaves unread and the window as they were
            outbound_summary(tx, record.tenant_id, {"session_id": record.session_id,
                                                    "status": (record.pointer_seen or {}).get("session_status")},
                             summary["last_message"], summary["last_activity_at"])
            return
        # With an address when the sender changed number or user id (the pointer moved), a changed username.
        sets = {k: summary[k] for k in ("address", "contact_username") if summary.get(k)}
        customer_message_update(tx, record.tenant_id, record.session_id or "", record.session_mode == "reopen",
                                summary["last_message"], summary["last_activity_at"], summary["last_inbound_at"],
                                sets or None)

    @staticmethod
    def _pointer_write(tx: Transaction, record: InboundRecord) -> None:
        key = keys.thread(record.tenant_id, record.channel_id, record.address)
        if record.pointer_seen is None:
            tx.put({**key, **{k: v for k, v in record.pointer_fields.items() if v is not None}},
                   condition="attribute_not_exists(pk)")
            return
        fields = dict(record.pointer_fields)
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values: dict[str, Any] = {f":f{i}": value for i, value in enumerate(fields.values()) if value is not None}
        expression = "SET " + ", ".join(f"#f{i} = :f{i}" for i, v in enumerate(fields.values()) if v is not None)
        removed = [f"#f{i}" for i, v in enumerate(fields.values()) if v is None]  # e.g. a block that ended
        if removed:
            expression += " REMOVE " + ", ".join(removed)
        conditions = []
        for i, name in enumerate(GUARDED_POINTER_FIELDS):
            names[f"#g{i}"] = name
            if record.pointer_seen.get(name) is None:
                conditions.append(f"attribute_not_exists(#g{i})")
            else:
                values[f":g{i}"] = record.pointer_seen[name]
                conditions.append(f"#g{i} = :g{i}")
        tx.update(key, expression, values, names, condition=" AND ".join(conditions))
