"""Reading sessions and their messages; the columns an inbox list shows, kept true."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from switchboard.domain.channels import Channel
from switchboard.storage import keys
from switchboard.storage.dynamo import Table, Transaction, is_conditional_failure
from switchboard.storage.pagination import Page, query_page


class SessionRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, tenant_id: str, session_id: str) -> dict[str, Any] | None:
        return self.table.get(keys.session(tenant_id, session_id))

    def list_recent(self, tenant_id: str, cursor: str | None, limit: int,
                    filters: dict[str, Any] | None = None) -> Page:
        """Sessions by latest activity first (GSI1). ``filters`` are attribute equalities."""
        query: dict[str, Any] = {
            "IndexName": keys.GSI1,
            "KeyConditionExpression": "gsi1pk = :pk",
            "ExpressionAttributeValues": {":pk": keys.sessions_index(tenant_id)},
            "ScanIndexForward": False,
        }
        if filters:
            names = {f"#a{i}": name for i, name in enumerate(filters)}
            query["FilterExpression"] = " AND ".join(f"#a{i} = :a{i}" for i in range(len(filters)))
            query["ExpressionAttributeNames"] = names
            query["ExpressionAttributeValues"].update({f":a{i}": v for i, v in enumerate(filters.values())})
        return query_page(self.table, "gsi1pk", keys.sessions_index(tenant_id), cursor, limit, **query)

    def messages(self, tenant_id: str, session_id: str, cursor: str | None, limit: int,
                 newest_first: bool = False) -> Page:
        partition = keys.session_partition(tenant_id, session_id)
        return query_page(
            self.table, "pk", partition, cursor, limit,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :m)",
            ExpressionAttributeValues={":pk": partition, ":m": "M#"},
            ScanIndexForward=not newest_first,
        )


# -- what an inbox list shows (CDESK's conversation list): written where sessions are, kept true after ---
def inbox_columns(contact_name: str | None, channel: Channel) -> dict[str, Any]:
    """The columns a new session carries for an inbox list: who (the contact's name) and where (the
    channel's display number or mailbox address). ``last_replied_by`` and the last message's status are
    written as they happen."""
    columns: dict[str, Any] = {"channel_display": channel.display_phone_number or channel.address or channel.name}
    if contact_name:
        columns["contact_name"] = contact_name
    return columns


def pointer_last_message(tx: Transaction, tenant_id: str, channel_id: str, address: str, message_id: str) -> None:
    """The thread pointer names the session's last message, so a status can tell (from the read it makes
    anyway) whether its message is still the last one before it touches the session."""
    tx.update(keys.thread(tenant_id, channel_id, address), "SET last_message_id = :m", {":m": message_id},
              condition="attribute_exists(pk)")


class SessionColumns:
    """Keeps the inbox columns true: the last message's ticks, and the contact's name and block after a
    rename, block, merge, link, unlink or anonymisation (display copies, written after the change)."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def last_status(self, tenant_id: str, session_id: str, message_id: str, status: str, rank: int) -> bool:
        """The session's last message shows ``status`` if it still is that message and the status is
        forward (one conditional UpdateItem). Returns whether it changed."""
        try:
            self.table.update(keys.session(tenant_id, session_id),
                              "SET last_message.#status = :s, last_message.status_rank = :r",
                              {":s": status, ":r": rank, ":m": message_id}, {"#status": "status"},
                              condition="attribute_exists(pk) AND last_message.message_id = :m AND "
                                        "(attribute_not_exists(last_message.status_rank) OR "
                                        "last_message.status_rank < :r)")
            return True
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
        return False

    def show_contact(self, tenant_id: str, contact_id: str, contact: dict[str, Any] | None) -> None:
        """Every session of the contact (and the thread pointers they were on) shows its current name and
        block. Idempotent: run it again after any change of the contact."""
        sessions = list(self.table.query_items(
            IndexName=keys.GSI2, KeyConditionExpression="gsi2pk = :pk",
            ExpressionAttributeValues={":pk": keys.contact_sessions_index(tenant_id, contact_id)}))
        name = (contact or {}).get("name")
        until = (contact or {}).get("blocked_until")
        threads: set[tuple[str, str]] = set()
        for session in sessions:
            sets, values = ["contact_name = :n"], {":n": name, ":c": contact_id}
            removes = []
            if until:
                sets.append("contact_blocked_until = :u")
                values[":u"] = until
            else:
                removes.append("contact_blocked_until")
            expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
            self._update_if(keys.session(tenant_id, session["session_id"]), expression, values)
            if session.get("address"):
                threads.add((session["channel_id"], session["address"]))
        for channel_id, address in sorted(threads):
            self._update_if(keys.thread(tenant_id, channel_id, address), "SET contact_name = :n",
                            {":n": name, ":c": contact_id})

    def _update_if(self, key: dict[str, str], expression: str, values: dict[str, Any]) -> None:
        """Only while the item is still the contact's (a session linked away meanwhile keeps its own)."""
        try:
            self.table.update(key, expression, values, condition="contact_id = :c")
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
