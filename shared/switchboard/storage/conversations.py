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
from switchboard.storage.dynamo import Table, Transaction, TransactionConflict

SessionMode = Literal["existing", "reopen", "new", "none"]
# What an inbound decision depends on; a change to any of them since the read cancels the write.
GUARDED_POINTER_FIELDS = ("contact_id", "session_id", "session_status", "blocked_until")


@dataclass(frozen=True)
class ThreadView:
    """What the store knows of a sender on a channel."""

    pointer: dict[str, Any] | None
    owners: dict[tuple[str, str], str]  # (identifier kind, value) -> contact_id

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


class DuplicateMessage(Exception):
    """The provider id was stored before: a redelivery. Nothing was written."""


class ConversationStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def look_up(self, tenant_id: str, channel_id: str, address: str,
                identifiers: list[tuple[str, str]]) -> ThreadView:
        wanted = [keys.thread(tenant_id, channel_id, address)] + [
            keys.identifier(tenant_id, kind, value) for kind, value in identifiers
        ]
        pointer_pk = wanted[0]["pk"]
        pointer = None
        owners: dict[tuple[str, str], str] = {}
        for item in self.table.get_many(wanted, consistent=True):
            if item["pk"] == pointer_pk:
                pointer = item
            else:
                kind, value = item["pk"].split("#ID#", 1)[1].split("#", 1)
                owners[(kind, value)] = item["contact_id"]
        return ThreadView(pointer, owners)

    def record(self, record: InboundRecord) -> None:
        """Write the message and everything it changes, atomically.

        Raises DuplicateMessage on a redelivery, TransactionConflict when another writer changed the
        sender's pointer, contact or identifiers since ``look_up`` (the caller reads again)."""
        tx = Transaction()
        t = record.tenant_id
        alias = tx.put({**keys.provider_id(t, record.provider_message_id),
                        "session_id": record.session_id, "message_sk": record.message["sk"],
                        "message_pk": record.message["pk"], "direction": "in"},
                       condition="attribute_not_exists(pk)")
        tx.put(record.message, condition="attribute_not_exists(pk)")
        if record.new_contact is not None:
            tx.put(record.new_contact, condition="attribute_not_exists(pk)")
        else:
            tx.update(keys.contact(t, record.contact_id), "SET last_activity_at = :now",
                      {":now": record.now_iso}, condition="attribute_exists(pk)")
        for kind, value in record.claim_identifiers:
            tx.put({**keys.identifier(t, kind, value), "contact_id": record.contact_id, "kind": kind,
                    "value": value, "tenant_id": t}, condition="attribute_not_exists(pk)")
        self._session_write(tx, record)
        self._pointer_write(tx, record)
        try:
            self.table.commit(tx)
        except TransactionConflict as conflict:
            if conflict.failed_at(alias):
                raise DuplicateMessage(record.provider_message_id) from conflict
            raise

    @staticmethod
    def _session_write(tx: Transaction, record: InboundRecord) -> None:
        if record.session_mode == "none":
            return
        if record.session_mode == "new":
            tx.put(record.new_session or {}, condition="attribute_not_exists(pk)")
            return
        summary = record.session_summary
        names = {"#status": "status"}
        values = {":open": "open", ":last": summary["last_message"], ":now": summary["last_activity_at"],
                  ":gsk": summary["gsi1sk"], ":one": 1, ":zero": 0, ":true": True,
                  ":inbound": summary["last_inbound_at"]}
        expression = ("SET #status = :open, last_message = :last, last_activity_at = :now, gsi1sk = :gsk, "
                      "unread_count = if_not_exists(unread_count, :zero) + :one, unanswered = :true, "
                      "last_inbound_at = :inbound")
        if record.session_mode == "reopen":
            values[":resolved"] = "resolved"
            values[":reopened"] = summary["last_activity_at"]
            tx.update(keys.session(record.tenant_id, record.session_id or ""),
                      expression + ", reopened_at = :reopened REMOVE resolved_at, outcome",
                      values, names, condition="#status = :resolved")
        else:
            values[":resolved"] = "resolved"
            tx.update(keys.session(record.tenant_id, record.session_id or ""), expression, values, names,
                      condition="attribute_exists(pk) AND #status <> :resolved")

    @staticmethod
    def _pointer_write(tx: Transaction, record: InboundRecord) -> None:
        key = keys.thread(record.tenant_id, record.channel_id, record.address)
        if record.pointer_seen is None:
            tx.put({**key, **record.pointer_fields}, condition="attribute_not_exists(pk)")
            return
        fields = dict(record.pointer_fields)
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values: dict[str, Any] = {f":f{i}": value for i, value in enumerate(fields.values())}
        expression = "SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(fields)))
        conditions = []
        for i, name in enumerate(GUARDED_POINTER_FIELDS):
            names[f"#g{i}"] = name
            if record.pointer_seen.get(name) is None:
                conditions.append(f"attribute_not_exists(#g{i})")
            else:
                values[f":g{i}"] = record.pointer_seen[name]
                conditions.append(f"#g{i} = :g{i}")
        tx.update(key, expression, values, names, condition=" AND ".join(conditions))
