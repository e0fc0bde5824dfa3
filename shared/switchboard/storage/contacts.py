"""Contacts in the data table: the profile item, its identifier items (one owner per identifier, by
condition), its search entries and its history, all written in one transaction per change.

A change (``ContactChange``) carries the contact as read and as it should be; the store works out which
identifiers to claim and release and which search entries to add and remove. The profile write is
conditioned on the revision that was read (optimistic locking) and on the contact not being merged or
erased at that moment; a lost race raises ``ConcurrentUpdate`` and the caller reads again. An identifier
another contact holds raises ``Conflict`` with code ``identifier_taken`` naming that contact.

Search entries (``search_index_items``) go in the same transaction while it stays within DynamoDB's
100 items; the rest are written right after with BatchWriteItem. The search checks every candidate
against the contact itself, so an entry that is briefly missing or stale never shows a wrong contact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from switchboard.domain import search
from switchboard.domain.contacts import identifiers_of
from switchboard.errors import ConcurrentUpdate, Conflict
from switchboard.storage import keys
from switchboard.storage.dynamo import Table, Transaction, TransactionConflict
from switchboard.storage.sessions import contact_sessions

_TRANSACTION_LIMIT = 100
# Fields of the profile item that only the store sets.
_STORE_FIELDS = {"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk", "revision"}
CONTACT_WRITABLE = ("attribute_exists(pk) AND attribute_not_exists(merging_into) "
                    "AND attribute_not_exists(erasing)")


def block_guard(blocked: bool) -> str:
    """The condition (with ``:now``, ``clock.iso`` of the decision's time) that a profile is still blocked,
    or still not blocked, as ``domain.blocks.is_blocked`` decided. ``blocked_until`` is always stored as
    ``clock.iso`` or ``"forever"``, whose string order is their time order ("forever" sorts after every
    year), so the comparison DynamoDB makes agrees with the datetime comparison the domain made."""
    if blocked:
        return "blocked_until > :now"
    return "(attribute_not_exists(blocked_until) OR blocked_until <= :now)"


# Search entries a contact created by a message (inbound WhatsApp or email, a session an operator starts)
# writes in that message's transaction; the rest of DynamoDB's 100 items is the message's and session's.
NEW_CONTACT_SEARCH_ENTRIES = 60


def new_contact(tenant_id: str, contact_id: str, name: str, now_iso: str, phones: list[str] | None = None,
                emails: list[str] | None = None, identities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A contact a message or a session link creates (the directory's own creation reads its fields from
    the request). Its keys are added when it is written (``profile_item``)."""
    return {"contact_id": contact_id, "tenant_id": tenant_id,
            "name": name, "phones": list(phones or []), "emails": list(emails or []),
            "identities": list(identities or []), "tags": [], "attributes": {}, "created_at": now_iso,
            "updated_at": now_iso, "last_activity_at": now_iso}


def put_new_contact(tx: Transaction, contact: dict[str, Any]) -> None:
    """A new contact's profile (once: conditioned on it not existing) and its first search entries."""
    tx.put(profile_item(contact), condition="attribute_not_exists(pk)")
    for entry in search_index_items(contact, limit=NEW_CONTACT_SEARCH_ENTRIES):
        tx.put(entry)


# Search entries of the identifiers a known contact gains with a message (a BSUID, a changed number).
GAINED_SEARCH_ENTRIES = 30


# The profile's set of its thread pointers' keys (``keys.thread``'s pk): what a block, a merge or an erasure
# writes in its own transaction, so that the inbound path need not check the profile (docs/contacts.md,
# "Thread pointers"). A pointer on the list says so (``THREAD_LISTED``); adding one bumps the revision, so a
# block that read the list before cannot commit without it.
THREADS = "threads"
THREAD_LISTED = "listed"


def touch_contact(tx: Transaction, tenant_id: str, contact_id: str, now_iso: str, while_writable: bool = True,
                  additions: dict[str, list[Any]] | None = None, blocked: bool | None = None,
                  touch: bool = True, threads: list[str] | None = None, check: bool = True) -> int:
    """A message of a known contact: its last activity (with ``touch``), and the list attributes it extends
    (their search entries too: the ids it gains are searchable like the operator's); conditioned on the
    contact existing and, ``while_writable``, not being merged or erased. With ``blocked``, only while the
    profile's block still says what the decision read (``block_guard``). ``threads`` are pointer keys the
    contact's list gains (its revision moves with them). With nothing to write, the contact is only
    checked (it is not rewritten, nor its index entry), and without ``check`` not even that: nothing of the
    profile is in the transaction (-1). Returns the write's index."""
    condition = CONTACT_WRITABLE if while_writable else "attribute_exists(pk)"
    if blocked is not None:
        condition = f"{condition} AND {block_guard(blocked)}"
    assignments = ["last_activity_at = :now"] if touch else []
    values: dict[str, Any] = {":now": now_iso}
    for i, (name, added) in enumerate((additions or {}).items()):
        assignments.append(f"{name} = list_append(if_not_exists({name}, :empty), :add{i})")
        values.update({":empty": [], f":add{i}": added})
    if ":now" not in condition and not touch:
        values.pop(":now")
    key = keys.contact(tenant_id, contact_id)
    adds, names = "", None
    if threads:
        adds, names = f" ADD {THREADS} :threads, #rev :one", {"#rev": "revision"}
        values.update({":threads": set(threads), ":one": 1})
    if not assignments and not adds:
        return tx.check(key, condition, values or None) if check else -1
    expression = ("SET " + ", ".join(assignments) if assignments else "") + adds
    at = tx.update(key, expression.strip(), values, names, condition=condition)
    if additions:
        gained = {"tenant_id": tenant_id, "contact_id": contact_id, **additions}
        for entry in search_index_items(gained, limit=GAINED_SEARCH_ENTRIES):
            tx.put(entry)
    return at


def claim_identifier(tx: Transaction, tenant_id: str, kind: str, value: str, contact_id: str) -> None:
    """An identifier item: one owner per identifier, by condition."""
    tx.put({**keys.identifier(tenant_id, kind, value), "contact_id": contact_id, "kind": kind, "value": value,
            "tenant_id": tenant_id}, condition="attribute_not_exists(pk)")


def contact_request_item(tenant_id: str, idempotency_key: str, contact_id: str, fingerprint: str,
                         expires_epoch: int) -> dict[str, Any]:
    """An ``Idempotency-Key`` of POST /contacts: the contact the first request created."""
    return {**keys.contact_request(tenant_id, idempotency_key), "contact_id": contact_id,
            "fingerprint": fingerprint, keys.TTL_ATTRIBUTE: expires_epoch}


def revision_guard(contact: dict[str, Any], placeholder: str) -> tuple[str, dict[str, Any]]:
    """The condition (with ``#rev`` for ``revision``) that a profile is still at the revision read: nothing
    was edited and no thread pointer joined its list since."""
    revision = int(contact.get("revision", 0))
    if revision == 0:
        return "attribute_not_exists(#rev)", {}
    return f"#rev = {placeholder}", {placeholder: revision}


def with_thread(contact: dict[str, Any], pointer: dict[str, Any], listed: bool = True) -> dict[str, Any]:
    """The contact with a thread pointer on its list (``listed``), or off it (an empty list is removed)."""
    threads = set(contact.get(THREADS) or ()) - {pointer[keys.PK]}
    if listed:
        threads.add(pointer[keys.PK])
    out = {k: v for k, v in contact.items() if k != THREADS}
    return {**out, THREADS: threads} if threads else out


def block_pointers(tx: Transaction, contact_id: str, pointers: Iterable[dict[str, Any]], until: str | None) -> None:
    """A block (or its end) copied onto the contact's thread pointers, while they still name the contact."""
    for pointer in pointers:
        key = {keys.PK: pointer[keys.PK], keys.SK: pointer[keys.SK]}
        if until:
            tx.update(key, "SET blocked_until = :u", {":u": until, ":me": contact_id}, condition="contact_id = :me")
        else:
            tx.update(key, "REMOVE blocked_until", {":me": contact_id}, condition="contact_id = :me")


def list_index_fields(contact: dict[str, Any]) -> dict[str, str]:
    """The GSI keys of a profile: every contact in the tenant's list (by creation), blocked ones in
    the sparse blocked index."""
    t, cid = contact["tenant_id"], contact["contact_id"]
    fields = {keys.GSI1_PK: keys.contacts_index(t), keys.GSI1_SK: f"{contact['created_at']}#{cid}"}
    if contact.get("blocked_until"):
        fields.update({keys.GSI2_PK: keys.blocked_contacts_index(t), keys.GSI2_SK: cid})
    return fields


def search_index_items(contact: dict[str, Any], limit: int = search.TOKEN_BUDGET) -> list[dict[str, Any]]:
    """The search entries of a contact, most telling first (the inbound path adds the first ``limit`` of
    them to its new-contact transaction)."""
    t, cid = contact["tenant_id"], contact["contact_id"]
    return [{**keys.contact_token(t, token, cid), "contact_id": cid}
            for token in search.index_tokens(contact)[:limit]]


def profile_item(contact: dict[str, Any]) -> dict[str, Any]:
    """A contact as stored: its fields, its keys and its index keys."""
    clean = {k: v for k, v in contact.items() if k not in _STORE_FIELDS}
    key = keys.contact(contact["tenant_id"], contact["contact_id"])
    return {**clean, **key, **list_index_fields(contact)}


@dataclass
class ContactChange:
    """One change of one contact: ``before`` as read (None: a new contact), ``after`` as it should be
    (None: the contact goes). ``extra`` adds writes that must happen with it (thread pointers, sessions)."""

    tenant_id: str
    contact_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    identifying: set[str] = field(default_factory=set)
    history: list[dict[str, Any]] = field(default_factory=list)
    extra: Callable[[Transaction], None] | None = None
    release_identifiers: bool = True
    adopt_from: str | None = None  # identifiers this contact may take over from another (session links)


class ContactStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    # Reads -----------------------------------------------------------------------------------------
    def get(self, tenant_id: str, contact_id: str, consistent: bool = True) -> dict[str, Any] | None:
        return self.table.get(keys.contact(tenant_id, contact_id), consistent=consistent)

    def contact_request(self, tenant_id: str, idempotency_key: str) -> dict[str, Any] | None:
        return self.table.get(keys.contact_request(tenant_id, idempotency_key), consistent=True)

    def get_many(self, tenant_id: str, contact_ids: list[str]) -> dict[str, dict[str, Any]]:
        if not contact_ids:
            return {}
        found = self.table.get_many([keys.contact(tenant_id, cid) for cid in contact_ids])
        return {item["contact_id"]: item for item in found}

    def tombstone(self, tenant_id: str, contact_id: str) -> dict[str, Any] | None:
        return self.table.get(keys.contact_tombstone(tenant_id, contact_id), consistent=True)

    def owner(self, tenant_id: str, kind: str, value: str) -> str | None:
        item = self.table.get(keys.identifier(tenant_id, kind, value), consistent=True)
        return item["contact_id"] if item else None

    def attribute_definitions(self, tenant_id: str) -> list[dict[str, Any]]:
        item = self.table.get(keys.contact_attributes(tenant_id), consistent=True)
        return list(item["definitions"]) if item else []

    def put_attribute_definitions(self, tenant_id: str, definitions: list[dict[str, Any]], at: str) -> None:
        self.table.put({**keys.contact_attributes(tenant_id), "definitions": definitions, "updated_at": at})

    def identifying(self, tenant_id: str) -> set[str]:
        return {d["name"] for d in self.attribute_definitions(tenant_id) if d.get("identifying")}

    def partition(self, tenant_id: str, contact_id: str, prefix: str) -> list[dict[str, Any]]:
        """Items of a contact's partition whose sort key starts with ``prefix`` (history, suppressed)."""
        pk = keys.contact(tenant_id, contact_id)["pk"]
        return self._query_all(KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
                               ExpressionAttributeValues={":pk": pk, ":p": prefix}, ConsistentRead=True)

    def sessions_of(self, tenant_id: str, contact_id: str) -> list[dict[str, Any]]:
        return contact_sessions(self.table, tenant_id, contact_id)

    def session_messages(self, tenant_id: str, session_id: str) -> list[dict[str, Any]]:
        partition = keys.session_partition(tenant_id, session_id)
        return self._query_all(KeyConditionExpression="pk = :pk AND begins_with(sk, :m)",
                               ExpressionAttributeValues={":pk": partition, ":m": "M#"}, ConsistentRead=True)

    def session_partition_items(self, tenant_id: str, session_id: str) -> list[dict[str, Any]]:
        partition = keys.session_partition(tenant_id, session_id)
        return self._query_all(KeyConditionExpression="pk = :pk",
                               ExpressionAttributeValues={":pk": partition}, ConsistentRead=True)

    def pointers_of(self, tenant_id: str, contact: dict[str, Any]) -> list[dict[str, Any]]:
        """The thread pointers of a contact: its list (``THREADS``, every pointer the inbound path wrote
        since the list exists), and those found from its channel identities (a pointer is keyed by channel
        and the WhatsApp id, or the BSUID for a sender without one), for pointers older than the list."""
        wanted = [keys.thread(tenant_id, i["channel_id"], i["value"])
                  for i in contact.get("identities") or [] if i.get("channel_id")]
        wanted += [{keys.PK: pk, keys.SK: "PTR"} for pk in sorted(contact.get(THREADS) or ())]
        if not wanted:
            return []
        return [p for p in self.table.get_many(wanted, consistent=True)
                if p.get("contact_id") == contact["contact_id"]]

    def _query_all(self, **query: Any) -> list[dict[str, Any]]:
        return list(self.table.query_items(**query))

    # Writes ----------------------------------------------------------------------------------------
    def apply(self, *changes: ContactChange, extra: Callable[[Transaction], None] | None = None) -> None:
        """Write changes of one or more contacts atomically (search entries beyond the transaction's size
        right after). ``extra`` adds writes of other items to the same transaction."""
        tx = Transaction()
        staged = [self._stage(tx, change) for change in changes]
        if extra:
            extra(tx)
        puts: list[dict[str, Any]] = []
        deletes: list[dict[str, str]] = []
        for change in changes:
            more_puts, more_deletes = self._token_changes(change)
            puts += more_puts
            deletes += more_deletes
        room = _TRANSACTION_LIMIT - len(tx.items)
        for item in puts[:room]:
            tx.put(item)
        room -= min(room, len(puts))
        for key in deletes[:room]:
            tx.delete(key)
        try:
            self.table.commit(tx)
        except TransactionConflict as conflict:
            for change, (profile_at, claims) in zip(changes, staged, strict=True):
                for index, (kind, value) in claims.items():
                    if conflict.failed_at(index):
                        holder = self.owner(change.tenant_id, kind, value)
                        raise Conflict(f"this {kind} belongs to another contact", code="identifier_taken",
                                       contact_id=holder, kind=kind, value=value) from conflict
                if conflict.failed_at(profile_at):
                    raise ConcurrentUpdate("the contact changed meanwhile") from conflict
            raise
        in_tx = {(i["Put"]["Item"]["pk"], i["Put"]["Item"]["sk"]) for i in tx.items if "Put" in i}
        in_tx |= {(i["Delete"]["Key"]["pk"], i["Delete"]["Key"]["sk"]) for i in tx.items if "Delete" in i}
        leftover_puts = [p for p in puts if (p["pk"], p["sk"]) not in in_tx]
        leftover_deletes = [k for k in deletes if (k["pk"], k["sk"]) not in in_tx]
        if leftover_puts or leftover_deletes:
            self.table.write_batch(leftover_puts, leftover_deletes)

    def _stage(self, tx: Transaction, change: ContactChange) -> tuple[int, dict[int, tuple[str, str]]]:
        t, cid = change.tenant_id, change.contact_id
        profile_at = self._profile_write(tx, change)
        before_ids = identifiers_of(change.before or {}, change.identifying)
        after_ids = identifiers_of(change.after or {}, change.identifying)
        claims: dict[int, tuple[str, str]] = {}
        mine = {":me": cid}
        claim = "attribute_not_exists(pk) OR contact_id = :me"
        if change.adopt_from:
            claim = "attribute_not_exists(pk) OR contact_id IN (:me, :from)"
        for kind, value in sorted(after_ids - before_ids):
            values = {**mine, ":from": change.adopt_from} if change.adopt_from else mine
            index = tx.put({**keys.identifier(t, kind, value), "contact_id": cid, "kind": kind,
                            "value": value, "tenant_id": t}, condition=claim, values=values)
            claims[index] = (kind, value)
        if change.release_identifiers:
            for kind, value in sorted(before_ids - after_ids):
                tx.delete(keys.identifier(t, kind, value),
                          condition="attribute_not_exists(pk) OR contact_id = :me", values=mine)
        for entry in change.history:
            tx.put(entry, condition="attribute_not_exists(pk)")
        if change.extra:
            change.extra(tx)
        return profile_at, claims

    def _profile_write(self, tx: Transaction, change: ContactChange) -> int:
        key = keys.contact(change.tenant_id, change.contact_id)
        if change.before is None:
            return tx.put({**profile_item(change.after or {}), "revision": 1},
                          condition="attribute_not_exists(pk)")
        revision = int(change.before.get("revision", 0))
        values: dict[str, Any] = {}
        names: dict[str, str] = {}
        revision_check = "attribute_not_exists(#rev)" if revision == 0 else "#rev = :seen"
        names["#rev"] = "revision"
        if revision:
            values[":seen"] = revision
        condition = f"{CONTACT_WRITABLE} AND {revision_check}"
        if change.after is None:
            return tx.delete(key, condition=condition, values=values or None, names=names)
        wanted = profile_item(change.after)
        current = profile_item(change.before)
        sets, removes = ["#rev = :next"], []
        values[":next"] = revision + 1
        for i, name in enumerate(sorted(set(wanted) | set(current))):
            if name in ("pk", "sk") or wanted.get(name) == current.get(name):
                continue
            names[f"#n{i}"] = name
            if name in wanted and wanted[name] is not None:
                values[f":v{i}"] = wanted[name]
                sets.append(f"#n{i} = :v{i}")
            else:
                removes.append(f"#n{i}")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        return tx.update(key, expression, values, names, condition=condition)

    @staticmethod
    def _token_changes(change: ContactChange) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
        t, cid = change.tenant_id, change.contact_id
        before = set(search.index_tokens(change.before)) if change.before else set()
        after = set(search.index_tokens(change.after)) if change.after else set()
        puts = [{**keys.contact_token(t, token, cid), "contact_id": cid} for token in sorted(after - before)]
        deletes = [keys.contact_token(t, token, cid) for token in sorted(before - after)]
        return puts, deletes

    def delete_items(self, item_keys: Iterable[dict[str, str]]) -> None:
        self.table.write_batch(deletes=[{"pk": k["pk"], "sk": k["sk"]} for k in item_keys])

    def put_items(self, items: Iterable[dict[str, Any]]) -> None:
        self.table.write_batch(puts=list(items))
