"""Moving things from one contact to another (merge, session links) and taking a contact apart (GDPR).

Each write here is idempotent and conditioned on where the thing is now ("still the source's"), so a
procedure made of them can stop anywhere and run again, or run twice at once, and end in the same place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from switchboard import aws
from switchboard.storage import keys
from switchboard.storage.contacts import THREAD_LISTED, THREADS, revision_guard
from switchboard.storage.dynamo import Table, Transaction, is_conditional_failure

_BUSY_FREE = "(attribute_not_exists(absorbing) OR size(absorbing) = :zero)"


class ContactMoves:
    def __init__(self, table: Table) -> None:
        self.table = table

    def _conditional(self, key: dict[str, str], expression: str, values: dict[str, Any],
                     condition: str, names: dict[str, str] | None = None) -> bool:
        try:
            self.table.update(key, expression, values, names, condition=condition)
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    # Merge -----------------------------------------------------------------------------------------
    def mark_merge(self, tenant_id: str, target: dict[str, Any], source: dict[str, Any], at: str, by: str,
                   pointers: Sequence[dict[str, Any]] = ()) -> None:
        """Start (or rejoin) a merge: the source says where it goes, the target that it is absorbing, and
        the source's thread pointers (``pointers``, as read) name the target, carry its block and join its
        list, all in one transaction. The inbound path does not check a listed pointer's contact: an
        inbound write planned on the source's pointer is cancelled by this one (its contact changed) and
        the next message lands on the target. Both profiles must be at the revision read (no pointer
        joined the source's list, no block of the target since). Raises TransactionConflict when the
        source goes elsewhere, is absorbing, either changed, or the target is leaving."""
        target_id, source_id = target["contact_id"], source["contact_id"]
        source_seen, source_values = revision_guard(source, ":rs")
        target_seen, target_values = revision_guard(target, ":rt")
        moving = [p for p in pointers if p.get("contact_id") == source_id]
        tx = Transaction()
        tx.update(keys.contact(tenant_id, source_id),
                  "SET merging_into = :a, merge_by = :by, "
                  "merge_started_at = if_not_exists(merge_started_at, :now)",
                  {":a": target_id, ":now": at, ":by": by, ":zero": 0, **source_values},
                  {"#rev": "revision"},
                  condition="attribute_exists(pk) AND attribute_not_exists(erasing) AND "
                            f"(attribute_not_exists(merging_into) OR merging_into = :a) AND {_BUSY_FREE} "
                            f"AND {source_seen}")
        expression, values = "ADD absorbing :b", {":b": {source_id}, **target_values}
        if moving:
            expression += f", {THREADS} :threads, #rev :one"
            values.update({":threads": {p[keys.PK] for p in moving}, ":one": 1})
        tx.update(keys.contact(tenant_id, target_id), expression, values, {"#rev": "revision"},
                  condition="attribute_exists(pk) AND attribute_not_exists(merging_into) AND "
                            f"attribute_not_exists(erasing) AND {target_seen}")
        for pointer in moving:
            self._reassign_pointer(tx, pointer, source_id, target_id, target.get("blocked_until"))
        self.table.commit(tx)

    @staticmethod
    def _reassign_pointer(tx: Transaction, pointer: dict[str, Any], source_id: str, target_id: str,
                          blocked_until: str | None) -> None:
        values = {":a": target_id, ":b": source_id}
        if blocked_until:
            values[":u"] = blocked_until
            expression = "SET contact_id = :a, blocked_until = :u"
        else:
            expression = "SET contact_id = :a REMOVE blocked_until"
        tx.update({keys.PK: pointer[keys.PK], keys.SK: pointer[keys.SK]}, expression, values,
                  condition="contact_id = :b")

    def reassign_identifier(self, tenant_id: str, kind: str, value: str, source_id: str,
                            target_id: str) -> bool:
        """Point an identifier at the target; False when a third contact holds it."""
        return self._conditional(
            keys.identifier(tenant_id, kind, value),
            "SET contact_id = :a, kind = :k, #v = :v, tenant_id = :t",
            {":a": target_id, ":b": source_id, ":k": kind, ":v": value, ":t": tenant_id},
            "attribute_not_exists(pk) OR contact_id IN (:a, :b)", {"#v": "value"})

    def reassign_pointer(self, pointer_key: dict[str, str], source_id: str, target_id: str,
                         blocked_until: str | None) -> bool:
        """A thread pointer the mark did not move (older than the lists) now names the target (and carries
        the target's block), off any list: the target's next message lists it, under the profile's
        condition. Changing the contact makes any inbound write planned on the old pointer fail and plan
        again."""
        values = {":a": target_id, ":b": source_id}
        if blocked_until:
            values[":u"] = blocked_until
            expression = f"SET contact_id = :a, blocked_until = :u REMOVE {THREAD_LISTED}"
        else:
            expression = f"SET contact_id = :a REMOVE blocked_until, {THREAD_LISTED}"
        return self._conditional(pointer_key, expression, values, "contact_id = :b")

    def reassign_session(self, tenant_id: str, session_id: str, source_id: str, target_id: str,
                         blocked_until: str | None) -> bool:
        values = {":a": target_id, ":b": source_id, ":idx": keys.contact_sessions_index(tenant_id, target_id)}
        if blocked_until:
            values[":u"] = blocked_until
            expression = "SET contact_id = :a, gsi3pk = :idx, gsi2pk = :idx, contact_blocked_until = :u"
        else:
            expression = "SET contact_id = :a, gsi3pk = :idx, gsi2pk = :idx REMOVE contact_blocked_until"
        return self._conditional(keys.session(tenant_id, session_id), expression, values, "contact_id = :b")

    def reassign_message(self, message_key: dict[str, str], source_id: str, target_id: str) -> bool:
        return self._conditional(message_key, "SET contact_id = :a", {":a": target_id, ":b": source_id},
                                 "contact_id = :b")

    def mark_profile_merged(self, tx: Transaction, tenant_id: str, source_id: str, target_id: str) -> int:
        """In the target's profile transaction: the source records that its data is in the target."""
        return tx.update(keys.contact(tenant_id, source_id), "SET merge_profile_done = :y",
                         {":y": True, ":a": target_id},
                         condition="merging_into = :a AND attribute_not_exists(merge_profile_done)")

    def finish_merge(self, tenant_id: str, target_id: str, source_id: str, at: str,
                     token_keys: list[dict[str, str]]) -> None:
        """Delete the source, leave a tombstone (``merged_into``) that answers retries, stop absorbing."""
        tx = Transaction()
        tx.delete(keys.contact(tenant_id, source_id), condition="merging_into = :a", values={":a": target_id})
        tx.put({**keys.contact_tombstone(tenant_id, source_id), "contact_id": source_id,
                "tenant_id": tenant_id, "merged_into": target_id, "merged_at": at})
        tx.update(keys.contact(tenant_id, target_id), "DELETE absorbing :b", {":b": {source_id}},
                  condition="attribute_exists(pk)")
        for key in token_keys[:90]:
            tx.delete(key)
        self.table.commit(tx)
        if token_keys[90:]:
            self.table.write_batch(deletes=token_keys[90:])

    # Erase -----------------------------------------------------------------------------------------
    def mark_erasing(self, tenant_id: str, contact: dict[str, Any], at: str,
                     pointers: Sequence[dict[str, Any]] = ()) -> None:
        """Start (or rejoin) an erasure: the profile says it is going, and its thread pointers (``pointers``,
        as read) go, in one transaction, conditioned on the revision read (no pointer joined its list since).
        The inbound path does not check a listed pointer's contact: an inbound write planned on one of them
        is cancelled by this one, and the next message finds no pointer, reads the profile and waits for the
        erasure to end. Raises TransactionConflict when the contact changed, is being merged or absorbs."""
        contact_id = contact["contact_id"]
        seen, values = revision_guard(contact, ":r")
        tx = Transaction()
        tx.update(keys.contact(tenant_id, contact_id), "SET erasing = if_not_exists(erasing, :now)",
                  {":now": at, ":zero": 0, **values}, {"#rev": "revision"},
                  condition="attribute_exists(pk) AND attribute_not_exists(merging_into) AND "
                            f"{_BUSY_FREE} AND {seen}")
        for pointer in pointers:
            if pointer.get("contact_id") == contact_id:
                tx.delete({keys.PK: pointer[keys.PK], keys.SK: pointer[keys.SK]},
                          condition="attribute_not_exists(pk) OR contact_id = :me", values={":me": contact_id})
        self.table.commit(tx)

    def release_identifier(self, tenant_id: str, kind: str, value: str, contact_id: str) -> None:
        try:
            self.table.delete(keys.identifier(tenant_id, kind, value), condition="contact_id = :me",
                              values={":me": contact_id})
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise

    def finish_erase(self, tenant_id: str, contact_id: str, audit: dict[str, Any]) -> None:
        tx = Transaction()
        tx.delete(keys.contact(tenant_id, contact_id), condition="attribute_exists(erasing)")
        tx.put(audit)
        self.table.commit(tx)

    def anonymize_session(self, tenant_id: str, session_id: str, last: dict[str, Any] | None) -> None:
        """A session of an anonymised contact: its last message redacted, its address and username gone."""
        self.table.update(keys.session(tenant_id, session_id),
                          "SET last_message = :m, anonymized = :y REMOVE #a, contact_username",
                          {":m": last, ":y": True}, {"#a": "address"})

    def delete_pointer(self, pointer: dict[str, Any], contact_id: str) -> None:
        """A thread pointer of a contact that goes, unless it names another contact by now."""
        try:
            self.table.delete({"pk": pointer["pk"], "sk": pointer["sk"]}, condition="contact_id = :me",
                              values={":me": contact_id})
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise

    def redact_message(self, message_key: dict[str, str], text: str) -> None:
        """A message without what identified its sender: redacted text, no provider payload, no media."""
        self.table.update(message_key, "SET #t = :t, redacted = :y REMOVE #r, #rz, #mk, #m",
                          {":t": text, ":y": True},
                          {"#t": "text", "#r": "raw", "#rz": "raw_z", "#mk": "media_key", "#m": "media"})


def relink_session(tx: Transaction, tenant_id: str, session_id: str, old_id: str, new_id: str,
                   pointer: dict[str, Any] | None, blocked_until: str | None) -> None:
    """A session (and its thread pointer, when given) moves from one contact to another, the pointer
    taking the new contact's block; conditioned on both still naming the old contact."""
    index = keys.contact_sessions_index(tenant_id, new_id)
    # The contact's sessions are in GSI3 (or, written before it, GSI2): the partition key of both moves; an
    # item without the index's sort key stays out of that index (storage/sessions.py contact_sessions).
    tx.update(keys.session(tenant_id, session_id), "SET contact_id = :c, gsi3pk = :idx, gsi2pk = :idx",
              {":c": new_id, ":idx": index, ":old": old_id}, condition="contact_id = :old")
    if pointer is not None:
        expression = "SET contact_id = :c" + (", blocked_until = :u" if blocked_until else " REMOVE blocked_until")
        values = {":c": new_id, ":old": old_id, **({":u": blocked_until} if blocked_until else {})}
        tx.update({"pk": pointer["pk"], "sk": pointer["sk"]}, expression, values, condition="contact_id = :old")


def moved_to_contact(item: dict[str, Any], tenant_id: str, contact_id: str) -> dict[str, Any]:
    """An item of a contact's own partition (history, timeline), as the same item of another contact."""
    return {**item, "pk": keys.contact(tenant_id, contact_id)["pk"], "contact_id": contact_id}


def provider_aliases(tenant_id: str, messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The provider-id aliases of stored messages (statuses find a message through them)."""
    return [keys.provider_id(tenant_id, m["provider_message_id"]) for m in messages if m.get("provider_message_id")]


def search_entry_keys(tenant_id: str, contact_id: str, tokens: list[str]) -> list[dict[str, str]]:
    return [keys.contact_token(tenant_id, token, contact_id) for token in tokens]


def delete_media(bucket: str | None, object_keys: list[str]) -> None:
    """Delete media files from S3 (1,000 keys per request)."""
    if not bucket or not object_keys:
        return
    unique = sorted(set(object_keys))
    for start in range(0, len(unique), 1000):
        aws.client("s3").delete_objects(Bucket=bucket, Delete={
            "Objects": [{"Key": k} for k in unique[start:start + 1000]], "Quiet": True})
