"""A session's item: reading sessions and their messages, the operator's changes to a session (assign,
resolve, tags, read, notes), and the columns an inbox list shows, kept true. Every change is conditional;
a failed condition raises ``ConditionFailed`` (``storage.dynamo``) and the area says what it means."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from switchboard.domain import sessions
from switchboard.domain.channels import Channel
from switchboard.domain.conversation_search import SessionFilters
from switchboard.storage import keys
from switchboard.storage.dynamo import Table, Transaction, is_conditional_failure
from switchboard.storage.pagination import Page, query_page


def outbound_summary(tx: Transaction, tenant_id: str, session: dict[str, Any], last: dict[str, Any], now_iso: str,
                     new_status: str | None = None, replied_by: str | None = None) -> None:
    """The session shows the operator's message last (and who replied, for the inbox) and is no longer
    unanswered; conditioned on the status the rules were checked against."""
    names = {"#status": "status"}
    values: dict[str, Any] = {":last": last, ":now": now_iso, ":false": False,
                              ":gsk": f"{now_iso}#{session['session_id']}", ":seen": session["status"]}
    expression = "SET last_message = :last, last_activity_at = :now, gsi1sk = :gsk, unanswered = :false"
    if replied_by:
        expression += ", last_replied_by = :by"
        values[":by"] = replied_by
    if new_status:
        expression += ", #status = :new"
        values[":new"] = new_status
    tx.update(keys.session(tenant_id, session["session_id"]), expression, values, names,
              condition="#status = :seen")


def started_pointer_write(tx: Transaction, tenant_id: str, channel_id: str, address: str, contact_id: str,
                          session_id: str, pointer: dict[str, Any] | None, message_id: str) -> None:
    """The customer's thread pointer names the session an operator started and its last message (the
    template); conditioned on the pointer as read: a message that changed it meanwhile cancels the start."""
    key = keys.thread(tenant_id, channel_id, address)
    if pointer is None:
        tx.put({**key, "tenant_id": tenant_id, "channel_id": channel_id, "address": address,
                "contact_id": contact_id, "session_id": session_id, "session_status": sessions.AWAITING_CUSTOMER,
                "last_message_id": message_id}, condition="attribute_not_exists(pk)")
        return
    values: dict[str, Any] = {":sid": session_id, ":st": sessions.AWAITING_CUSTOMER, ":c": contact_id,
                              ":m": message_id}
    condition = "attribute_exists(pk)"
    for i, name in enumerate(("session_id", "session_status", "contact_id")):
        if pointer.get(name) is None:
            condition += f" AND attribute_not_exists({name})"
        else:
            values[f":seen{i}"] = pointer[name]
            condition += f" AND {name} = :seen{i}"
    # A pointer that changes contact leaves the old contact's list (storage/contacts.py THREADS): the new
    # contact's next message lists it, under the profile's condition.
    removed = "resolved_at" + (", listed" if pointer.get("contact_id") != contact_id else "")
    tx.update(key, "SET session_id = :sid, session_status = :st, contact_id = :c, last_message_id = :m "
              f"REMOVE {removed}", values, condition=condition)


def reopen_by_operator(tx: Transaction, tenant_id: str, session: dict[str, Any], new_status: str, by: str,
                       now_iso: str, last: dict[str, Any] | None, has_pointer: bool) -> None:
    """A resolved session reopened by an operator (with a template's message ``last``, or without), and
    its thread pointer told; conditioned on the session still being resolved and the pointer naming it."""
    session_id = session["session_id"]
    values: dict[str, Any] = {":new": new_status, ":now": now_iso, ":by": by,
                              ":resolved": sessions.RESOLVED, ":gsk": f"{now_iso}#{session_id}"}
    expression = ("SET #status = :new, reopened_at = :now, reopened_by = :by, last_activity_at = :now, "
                  "gsi1sk = :gsk")
    if last is not None:
        values[":last"] = last
        values[":false"] = False
        expression += ", last_message = :last, unanswered = :false, last_replied_by = :by"
    tx.update(keys.session(tenant_id, session_id), expression + " REMOVE resolved_at, outcome, resolution_note",
              values, {"#status": "status"}, condition="#status = :resolved")
    if has_pointer:
        pointer_values = {":new": new_status, ":sid": session_id}
        pointer_set = "SET session_status = :new"
        if last is not None:  # the template is the session's last message (its ticks follow it)
            pointer_set += ", last_message_id = :m"
            pointer_values[":m"] = last["message_id"]
        tx.update(keys.thread(tenant_id, session["channel_id"], session["address"]),
                  pointer_set + " REMOVE resolved_at", pointer_values, condition="session_id = :sid")



def customer_message_update(tx: Transaction, tenant_id: str, session_id: str, reopen: bool, last: dict[str, Any],
                            now_iso: str, inbound_at: str, sets: dict[str, Any] | None = None) -> None:
    """A customer's message (WhatsApp or email) on an existing session: open, unread and unanswered, its
    summary and window moved; with ``reopen``, only while the session is resolved (it reopens), otherwise
    only while it is not. ``sets`` are further attributes the channel keeps (the thread's ids, an address)."""
    names = {"#status": "status"}
    values: dict[str, Any] = {":open": sessions.OPEN, ":last": last, ":now": now_iso,
                              ":gsk": f"{now_iso}#{session_id}", ":one": 1, ":zero": 0, ":true": True,
                              ":inbound": inbound_at, ":resolved": sessions.RESOLVED}
    expression = ("SET #status = :open, last_message = :last, last_activity_at = :now, gsi1sk = :gsk, "
                  "unread_count = if_not_exists(unread_count, :zero) + :one, unanswered = :true, "
                  "last_inbound_at = :inbound")
    for i, (name, value) in enumerate((sets or {}).items()):
        names[f"#x{i}"] = name
        values[f":x{i}"] = value
        expression += f", #x{i} = :x{i}"
    if reopen:
        tx.update(keys.session(tenant_id, session_id), expression + ", reopened_at = :now REMOVE resolved_at, outcome",
                  values, names, condition="#status = :resolved")
    else:
        tx.update(keys.session(tenant_id, session_id), expression, values, names,
                  condition="attribute_exists(pk) AND #status <> :resolved")


def survey_answer_update(tx: Transaction, tenant_id: str, session_id: str, last: dict[str, Any], now_iso: str,
                         inbound_at: str) -> None:
    """The customer's pick from the satisfaction survey, on the resolved session it rates: shown last and the
    window moved (the customer wrote), while the session stays resolved, read and answered."""
    tx.update(keys.session(tenant_id, session_id),
              "SET last_message = :last, last_activity_at = :now, gsi1sk = :gsk, last_inbound_at = :inbound",
              {":last": last, ":now": now_iso, ":gsk": f"{now_iso}#{session_id}", ":inbound": inbound_at,
               ":resolved": sessions.RESOLVED}, {"#status": "status"}, condition="#status = :resolved")


def business_message_update(tx: Transaction, tenant_id: str, session_id: str, last: dict[str, Any],
                            now_iso: str) -> None:
    """A message the business typed in the WhatsApp Business app (an echo) on an existing session: its summary
    and activity move and it counts as answered; its state, unread count and window (``last_inbound_at``)
    stay as they are (an echo opens no window, and does not reopen a resolved session)."""
    tx.update(keys.session(tenant_id, session_id),
              "SET last_message = :last, last_activity_at = :now, gsi1sk = :gsk, unanswered = :false",
              {":last": last, ":now": now_iso, ":gsk": f"{now_iso}#{session_id}", ":false": False},
              condition="attribute_exists(pk)")


def contact_sessions(table: Table, tenant_id: str, contact_id: str, limit: int | None = None,
                     before: str | None = None) -> list[dict[str, Any]]:
    """A contact's sessions, newest first (by ``created_at#session_id``, older than ``before``; at most
    ``limit``): their keys from GSI3, which projects keys only, then the sessions themselves (BatchGetItem,
    a hundred keys a request). Sessions written before GSI3 are still in GSI2, under the same partition."""
    partition = keys.contact_sessions_index(tenant_id, contact_id)
    found: dict[str, tuple[str, dict[str, Any] | None, dict[str, str]]] = {}
    for index, projects_all in ((keys.GSI3, False), (keys.GSI2, True)):
        condition, values = f"{index}pk = :pk", {":pk": partition}
        if before:
            condition += f" AND {index}sk < :before"
            values[":before"] = before
        query: dict[str, Any] = {"IndexName": index, "KeyConditionExpression": condition,
                                 "ExpressionAttributeValues": values, "ScanIndexForward": False}
        if limit is not None:
            query["Limit"] = limit
        entries = table.query(**query)["Items"] if limit is not None else list(table.query_items(**query))
        for entry in entries:
            found.setdefault(entry["pk"], (entry[f"{index}sk"], entry if projects_all else None,
                                           {"pk": entry["pk"], "sk": entry["sk"]}))
    newest = sorted(found.values(), key=lambda e: e[0], reverse=True)[:limit]
    wanted = [key for _, item, key in newest if item is None]
    fetched = {}
    for start in range(0, len(wanted), 100):
        fetched.update({item["pk"]: item for item in table.get_many(wanted[start:start + 100])})
    return [item if item is not None else fetched[key["pk"]] for _, item, key in newest
            if item is not None or key["pk"] in fetched]


def filter_expression(f: SessionFilters) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The session list's filters (but the last-activity range, a key condition) as one FilterExpression:
    the same meaning as ``conversation_search.session_matches``."""
    parts: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, Any] = {}

    def name(attribute: str) -> str:
        names[f"#{attribute}"] = attribute
        return f"#{attribute}"

    for attribute in ("status", "channel_id", "operator_id", "group_id", "contact_id"):
        value = getattr(f, attribute)
        if value is not None:
            parts.append(f"{name(attribute)} = :{attribute}")
            values[f":{attribute}"] = value
    if f.unanswered is not None:
        parts.append(f"{name('unanswered')} = :unanswered" if f.unanswered
                     else f"(attribute_not_exists({name('unanswered')}) OR {name('unanswered')} = :unanswered)")
        values[":unanswered"] = f.unanswered
    if f.channel_kind is not None:
        values[":kind"] = f.channel_kind
        parts.append(f"{name('channel_kind')} = :kind" if f.channel_kind != "whatsapp"
                     else f"(attribute_not_exists({name('channel_kind')}) OR {name('channel_kind')} = :kind)")
    if f.tag is not None:
        parts.append(f"contains({name('tags')}, :tag)")
        values[":tag"] = f.tag
    if f.rating is not None:
        parts.append(f"{name('csat_rating')} = :rating")
        values[":rating"] = f.rating
    if f.created_from:
        parts.append(f"{name('created_at')} >= :created_from")
        values[":created_from"] = f.created_from
    if f.created_to:
        parts.append(f"{name('created_at')} <= :created_to")
        values[":created_to"] = f.created_to
    if f.sla_breached is not None:
        values[":breached"] = True
        parts.append(f"{name('sla_breached')} = :breached" if f.sla_breached
                     else f"(attribute_not_exists({name('sla_breached')}) OR {name('sla_breached')} <> :breached)")
    if f.waiting is not None:
        values[":open_status"] = sessions.OPEN
        parts.append(f"({name('status')} = :open_status AND attribute_not_exists({name('operator_id')}))"
                     if f.waiting else
                     f"({name('status')} <> :open_status OR attribute_exists({name('operator_id')}))")
    return " AND ".join(parts), names, values


class SessionRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, tenant_id: str, session_id: str) -> dict[str, Any] | None:
        return self.table.get(keys.session(tenant_id, session_id))

    def pointer_of(self, session: dict[str, Any]) -> dict[str, Any] | None:
        """The thread pointer of a session's customer on its channel (None for a session without one)."""
        if not session.get("address"):
            return None
        return self.table.get(keys.thread(session["tenant_id"], session["channel_id"], session["address"]),
                              consistent=True)

    def message_at(self, tenant_id: str, session_id: str, sent_at: str, message_id: str) -> dict[str, Any] | None:
        """A message by its key (the time it was sent and its id): one GetItem."""
        return self.table.get(keys.message(tenant_id, session_id, keys.message_sort_key(sent_at, message_id)))

    def note(self, tenant_id: str, session_id: str, created_at: str, note_id: str) -> dict[str, Any] | None:
        return self.table.get(keys.session_note(tenant_id, session_id, created_at, note_id))

    def message_by_id(self, tenant_id: str, session_id: str, message_id: str) -> dict[str, Any] | None:
        partition = keys.session_partition(tenant_id, session_id)
        query: dict[str, Any] = {"KeyConditionExpression": "pk = :pk AND begins_with(sk, :m)",
                                 "FilterExpression": "message_id = :id",
                                 "ExpressionAttributeValues": {":pk": partition, ":m": "M#", ":id": message_id}}
        return next(iter(self.table.query_items(**query)), None)

    def list_recent(self, tenant_id: str, cursor: str | None, limit: int,
                    filters: SessionFilters | None = None) -> Page:
        """Sessions by latest activity first (GSI1): the last-activity range is the key condition, the
        other filters a FilterExpression (a page may hold fewer than ``limit`` while ``next_cursor`` goes on)."""
        f = filters or SessionFilters()
        values: dict[str, Any] = {":pk": keys.sessions_index(tenant_id)}
        key_condition = "gsi1pk = :pk"
        if f.last_activity_from or f.last_activity_to:
            key_condition += " AND gsi1sk BETWEEN :low AND :high"
            values.update({":low": f.last_activity_from or "0", ":high": (f.last_activity_to or "~") + "~"})
        query: dict[str, Any] = {"IndexName": keys.GSI1, "KeyConditionExpression": key_condition,
                                 "ExpressionAttributeValues": values, "ScanIndexForward": False}
        expression, names, filter_values = filter_expression(f)
        if expression:
            query["FilterExpression"] = expression
            query["ExpressionAttributeNames"] = names
            values.update(filter_values)
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

    # -- the operator's changes -----------------------------------------------------------------------
    def change(self, tenant_id: str, session_id: str, sets: dict[str, Any], removes: tuple[str, ...] = (),
               open_only: bool = False) -> dict[str, Any]:
        """Set (and remove) attributes of an existing session; with ``open_only``, only while it is not
        resolved. Returns the session as it is now; raises ConditionFailed."""
        names = {"#status": "status"} if open_only else {}
        names.update({f"#s{i}": name for i, name in enumerate(sets)})
        values: dict[str, Any] = {f":s{i}": value for i, value in enumerate(sets.values())}
        expression = "SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(sets)))
        if removes:
            names.update({f"#r{i}": name for i, name in enumerate(removes)})
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removes)))
        condition = "attribute_exists(pk)"
        if open_only:
            values[":resolved"] = sessions.RESOLVED
            condition += " AND #status <> :resolved"
        return self.table.update(keys.session(tenant_id, session_id), expression, values, names,
                                 condition=condition, return_values="ALL_NEW")

    def resolve(self, tenant_id: str, session_id: str, session: dict[str, Any], outcome: str, note: str | None, by: str, now_iso: str,
                only_if_assigned_to: str | None = None) -> None:
        """The session resolved and its thread pointer told, in one transaction: conditioned on the status
        read (and on the assignee, for an operator) and on the pointer still naming this session.
        Raises TransactionConflict."""
        t = tenant_id
        tx = Transaction()
        values: dict[str, Any] = {":resolved": sessions.RESOLVED, ":outcome": outcome, ":now": now_iso,
                                  ":by": by, ":seen": session["status"]}
        expression = "SET #status = :resolved, outcome = :outcome, resolved_at = :now, resolved_by = :by"
        if note:
            values[":note"] = note
            expression += ", resolution_note = :note"
        condition = "#status = :seen"
        if only_if_assigned_to is not None:
            values[":me"] = only_if_assigned_to
            condition += " AND operator_id = :me"
        tx.update(keys.session(t, session_id), expression, values, {"#status": "status"}, condition=condition)
        # an email session has no thread pointer (its thread is found by Message-ID, docs/email.md)
        if session.get("address") and session.get("channel_kind") != "email":
            tx.update(keys.thread(t, session["channel_id"], session["address"]),
                      "SET session_status = :resolved, resolved_at = :now",
                      {":resolved": sessions.RESOLVED, ":now": now_iso, ":sid": session_id},
                      condition="session_id = :sid")
        self.table.commit(tx)

    def add_note(self, tenant_id: str, session_id: str, note_id: str, text: str, author_id: str,
                 now_iso: str) -> dict[str, Any]:
        note = {**keys.session_note(tenant_id, session_id, now_iso, note_id), "note_id": note_id,
                "session_id": session_id, "tenant_id": tenant_id, "text": text, "author_id": author_id,
                "created_at": now_iso}
        self.table.put(note, condition="attribute_not_exists(pk)")
        return note

    def notes(self, tenant_id: str, session_id: str) -> list[dict[str, Any]]:
        response = self.table.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :n)",
            ExpressionAttributeValues={":pk": keys.session_partition(tenant_id, session_id), ":n": "NOTE#"})
        return response["Items"]

    def last_inbound_provider_id(self, tenant_id: str, session_id: str) -> str | None:
        """The provider id of the customer's last message in the session (a few pages back at most)."""
        query: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :m)", "ScanIndexForward": False,
            "FilterExpression": "direction = :in",
            "ExpressionAttributeValues": {":pk": keys.session_partition(tenant_id, session_id), ":m": "M#",
                                          ":in": "in"},
            "Limit": 25}
        for _ in range(8):
            response = self.table.query(**query)
            for item in response["Items"]:
                if item.get("provider_message_id"):
                    return str(item["provider_message_id"])
            if not response.get("LastEvaluatedKey"):
                return None
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return None

    def read_receipt_sent(self, tenant_id: str, session_id: str, provider_message_id: str) -> dict[str, Any]:
        return self.table.update(keys.session(tenant_id, session_id), "SET last_read_receipt = :w",
                                 {":w": provider_message_id}, return_values="ALL_NEW")

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
        sessions = contact_sessions(self.table, tenant_id, contact_id)
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
