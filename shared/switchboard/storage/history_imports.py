"""The imported chat history of a coexistence number (docs/coexistence.md): its sessions, its messages and the
import's progress, all under deterministic keys, so a slice delivered twice (or two posts of the same chunk)
writes each message once.

Per slice: one BatchGetItem (which of its messages are stored already: their provider-id aliases), one
TransactWriteItems of the others (the message and its alias each, conditioned on neither existing: at most
80 items), an UpdateItem of the session's summary (forward only, by the messages' own time) and a PutItem of
the slice's progress record."""

from __future__ import annotations

from typing import Any

from switchboard.storage import keys
from switchboard.storage.contacts import claim_identifier, put_new_contact
from switchboard.storage.dynamo import ConditionFailed, Table, Transaction, strip_keys

IMPORTED_MESSAGES_PER_TRANSACTION = 45  # two items each, within DynamoDB's 100


class HistoryImportStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    # --- the conversation ---

    def create_contact(self, contact: dict[str, Any], claims: list[tuple[str, str]]) -> None:
        """A contact the history names for the first time, with its identifiers (by condition: a lost race
        raises TransactionConflict, and the caller looks again)."""
        tx = Transaction()
        put_new_contact(tx, contact)
        for kind, value in claims:
            claim_identifier(tx, contact["tenant_id"], kind, value, contact["contact_id"])
        self.table.commit(tx)

    def create_session(self, session: dict[str, Any]) -> bool:
        """The chat's imported session, once (False: an earlier slice created it)."""
        try:
            self.table.put(session, condition="attribute_not_exists(pk)")
        except ConditionFailed:
            return False
        return True

    def stored(self, tenant_id: str, provider_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The provider-id aliases of those of these ids stored already (imported, or received live)."""
        if not provider_ids:
            return {}
        found = self.table.get_many([keys.provider_id(tenant_id, p) for p in provider_ids], consistent=True)
        prefix = keys.provider_id(tenant_id, "")["pk"]
        return {item["pk"][len(prefix):]: item for item in found}

    def attach_media(self, alias: dict[str, Any], message: dict[str, Any]) -> bool:
        """A stored message (found by its alias) gets the media a later history webhook names, with that
        version's kind, text and content; only while it has none (False: it had, or it is gone)."""
        if not alias.get("message_pk"):
            return False
        names = {"#media": "media", "#kind": "kind", "#text": "text"}
        values: dict[str, Any] = {":media": message["media"], ":kind": message["kind"], ":text": message["text"]}
        expression = "SET #media = :media, #kind = :kind, #text = :text"
        if message.get("content"):
            names["#content"] = "content"
            values[":content"] = message["content"]
            expression += ", #content = :content"
        try:
            self.table.update({keys.PK: alias["message_pk"], keys.SK: alias["message_sk"]}, expression, values,
                              names, condition="attribute_exists(pk) AND attribute_not_exists(#media)")
        except ConditionFailed:
            return False
        return True

    def write_messages(self, tenant_id: str, messages: list[dict[str, Any]]) -> None:
        """Messages with their provider-id aliases, each written only if neither exists (a race with another
        writer raises TransactionConflict: look again, write the rest)."""
        for start in range(0, len(messages), IMPORTED_MESSAGES_PER_TRANSACTION):
            tx = Transaction()
            for message in messages[start:start + IMPORTED_MESSAGES_PER_TRANSACTION]:
                tx.put({**keys.provider_id(tenant_id, message["provider_message_id"]),
                        "session_id": message["session_id"], "message_pk": message[keys.PK],
                        "message_sk": message[keys.SK], "direction": message["direction"],
                        "contact_id": message.get("contact_id")}, condition="attribute_not_exists(pk)")
                tx.put(message, condition="attribute_not_exists(pk)")
            self.table.commit(tx)

    def advance_session(self, tenant_id: str, session_id: str, last: dict[str, Any]) -> None:
        """The session's summary moves to ``last`` only when it is later than the one it shows (slices arrive
        in any order); its activity is the last message's own time."""
        at = last["at"]
        try:
            self.table.update(keys.session(tenant_id, session_id),
                              "SET last_message = :last, last_activity_at = :at, gsi1sk = :gsk",
                              {":last": last, ":at": at, ":gsk": f"{at}#{session_id}"}, {"#at": "at"},
                              condition="attribute_exists(pk) AND last_message.#at < :at")
        except ConditionFailed:
            pass

    # --- the import's progress ---

    def record_chunk(self, tenant_id: str, channel_id: str, chunk: dict[str, Any], totals: dict[str, int],
                     now_iso: str) -> None:
        """What a chunk is (phase, order, Meta's overall progress, its slices and messages): the same on
        every redelivery."""
        key = keys.history_chunk(tenant_id, channel_id, chunk["phase"], chunk["chunk_order"])
        self.table.update(key, "SET phase = :p, chunk_order = :o, progress = :g, slices = :s, messages = :m, "
                               "first_seen_at = if_not_exists(first_seen_at, :now), kind = :kind",
                          {":p": chunk["phase"], ":o": chunk["chunk_order"], ":g": chunk["progress"],
                           ":s": totals.get("chunk_slices", 0), ":m": totals.get("chunk_messages", 0),
                           ":now": now_iso, ":kind": "chunk"})

    def record_slice(self, tenant_id: str, channel_id: str, chunk: dict[str, Any], slice_id: str,
                     session_id: str, messages: int, now_iso: str) -> None:
        key = keys.history_slice(tenant_id, channel_id, chunk["phase"], chunk["chunk_order"], slice_id)
        self.table.put({**key, "kind": "slice", "phase": chunk["phase"], "chunk_order": chunk["chunk_order"],
                        "session_id": session_id, "messages": messages, "imported_at": now_iso})

    def record_declined(self, tenant_id: str, channel_id: str, errors_json: str, now_iso: str) -> None:
        self.table.put({**keys.history_declined(tenant_id, channel_id), "kind": "declined", "errors": errors_json,
                        "declined_at": now_iso})

    def progress(self, tenant_id: str, channel_id: str) -> list[dict[str, Any]]:
        """Every record of the channel's import (chunks, slices, a refusal), in key order."""
        return [strip_keys(item) for item in self.table.query_items(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": keys.history_imports_partition(tenant_id, channel_id)})]
