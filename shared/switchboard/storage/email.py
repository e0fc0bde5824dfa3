"""The email channel's reads and writes on the data table: what the mailbox knows of a message's ids and
addresses (one BatchGetItem), thread-id aliases, tenant-level records of automated mail, and contacts'
bounced addresses. Every multi-item change is one transaction (``Table.commit``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from switchboard.storage import keys
from switchboard.storage.contacts import claim_identifier, put_new_contact, touch_contact
from switchboard.storage.sessions import customer_message_update
from switchboard.storage.dynamo import (
    ConditionFailed,
    StorageUnavailable,
    Table,
    Transaction,
    TransactionConflict,
    is_conditional_failure,
)

_MAX_KEYS = 100  # BatchGetItem's limit
_MAX_IDS = 60


@dataclass(frozen=True)
class MailboxView:
    """What the store says about one message: the known ids (stored form -> alias item) and the
    contacts holding its addresses (lower-cased address -> contact_id)."""

    aliases: dict[str, dict[str, Any]]
    owners: dict[str, str]


def raw_key(tenant_id: str, sha256: str) -> str:
    """Where a raw message received through the webhook is kept in the media bucket."""
    return f"{tenant_id}/email/raw/{sha256}.eml"


def alias_item(tenant_id: str, channel_id: str, message_id: str, session_id: str | None,
               message: dict[str, Any], direction: str) -> dict[str, Any]:
    return {**keys.email_message_id(tenant_id, channel_id, message_id), "tenant_id": tenant_id,
            "channel_id": channel_id, "session_id": session_id, "message_pk": message["pk"],
            "message_sk": message["sk"], "direction": direction}


def mail_session_update(tx: Transaction, tenant_id: str, session_id: str, mode: str, last_message: dict[str, Any],
                        now_iso: str, thread: dict[str, Any]) -> None:
    """A customer's mail on its session: the same change as a WhatsApp message makes, plus the thread's ids."""
    customer_message_update(tx, tenant_id, session_id, mode == "reopen", last_message, now_iso, now_iso,
                            {"email_thread": thread})


def automated_mail_item(tenant_id: str, received_iso: str, record_id: str, summary: dict[str, Any]) -> dict[str, Any]:
    """An auto-reply, bounce or unparseable mail that belongs to no thread, on the tenant's record."""
    return {**keys.automated_mail(tenant_id, received_iso, record_id), "tenant_id": tenant_id, **summary}


@dataclass(frozen=True)
class InboundMail:
    """What one inbound email writes, as email/inbound.py decided it from a ``MailboxView`` (no I/O there).
    ``EmailStore.store_inbound`` makes it one transaction.

    ``session_mode``: ``new`` (``new_session`` is the item), ``existing`` or ``reopen`` (the session takes the
    mail as its last message), ``none`` (a blocked contact's mail: kept on the contact, on no session)."""

    tenant_id: str
    channel_id: str
    own_id: str  # the mail's Message-ID, stored form: its alias is the exactly-once guard
    message: dict[str, Any]
    contact_id: str
    address: str
    now_iso: str
    session_mode: str
    session_id: str | None = None
    new_contact: dict[str, Any] | None = None
    new_session: dict[str, Any] | None = None
    last_message: dict[str, Any] | None = None
    thread: dict[str, Any] | None = None
    blocked: bool = False


def inbound_transaction(mail: InboundMail) -> tuple[Transaction, int]:
    """The one transaction an inbound mail is, and the index of its id's alias (the exactly-once guard)."""
    t = mail.tenant_id
    tx = Transaction()
    guard = tx.create(alias_item(t, mail.channel_id, mail.own_id, None if mail.blocked else mail.session_id,
                                 mail.message, "in"))
    tx.create(mail.message)
    if mail.new_contact is not None:
        put_new_contact(tx, mail.new_contact)
        claim_identifier(tx, t, "email", mail.address, mail.contact_id)
    else:  # the block decided on is still the contact's (a block follows the contact, docs/contacts.md)
        touch_contact(tx, t, mail.contact_id, mail.now_iso, while_writable=False, blocked=mail.blocked)
    if mail.new_session is not None:
        tx.create(mail.new_session)
    elif mail.session_mode in ("existing", "reopen") and mail.session_id and mail.last_message:
        mail_session_update(tx, t, mail.session_id, mail.session_mode, mail.last_message, mail.now_iso,
                            mail.thread or {})
    return tx, guard


class EmailStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def record_sent_ids(self, message: dict[str, Any], session: dict[str, Any], channel_id: str, our_id: str,
                        ses_ids: list[str], references: list[str]) -> None:
        """The ids a reply may quote, and the thread's references for our next message, in one transaction.
        The references are a hint for threading our next message, so they are not conditioned on the read.
        Raises StorageUnavailable or ConcurrentUpdate (the mail is sent either way)."""
        t = str(message["tenant_id"])
        session_id = str(session["session_id"])
        tx = Transaction()
        for message_id in [our_id, *ses_ids]:
            tx.put(alias_item(t, channel_id, message_id, session_id, message, "out"))
        thread = {**(session.get("email_thread") or {}), "references": references}
        tx.update(keys.session(t, session_id), "SET email_thread = :thread", {":thread": thread},
                  condition="attribute_exists(pk)")
        tx.update({"pk": message["pk"], "sk": message["sk"]}, "SET email_message_ids = :ids",
                  {":ids": [our_id, *ses_ids]}, condition="attribute_exists(pk)")
        try:
            self.table.commit(tx)
        except ClientError as exc:
            raise StorageUnavailable("the ids were not recorded") from exc

    def claim_webhook_token(self, tenant_id: str, token: str, expires_epoch: int) -> bool:
        """A Mailgun webhook token, accepted once (False: it was used before, a replay)."""
        try:
            self.table.put({**keys.mailgun_token(tenant_id, token), keys.TTL_ATTRIBUTE: expires_epoch},
                           condition="attribute_not_exists(pk)")
        except ConditionFailed:
            return False
        return True

    def release_webhook_token(self, tenant_id: str, token: str) -> None:
        """Best effort: a token whose message could not be queued may be used again by the retry."""
        try:
            self.table.delete(keys.mailgun_token(tenant_id, token))
        except ClientError:
            pass  # the retry is refused as a replay then; the provider's next attempt has a fresh token

    def record_complaint(self, message_key: dict[str, str], complaint: str) -> None:
        self.table.update({"pk": message_key["message_pk"], "sk": message_key["message_sk"]},
                          "SET complaint = :c", {":c": complaint})

    def look_up(self, tenant_id: str, channel_id: str, message_ids: list[str],
                addresses: list[str]) -> MailboxView:
        ids = list(dict.fromkeys(message_ids))[:_MAX_IDS]
        emails = list(dict.fromkeys(addresses))[:_MAX_KEYS - len(ids)]
        wanted = [keys.email_message_id(tenant_id, channel_id, i) for i in ids] + [
            keys.identifier(tenant_id, "email", a) for a in emails]
        if not wanted:
            return MailboxView({}, {})
        by_pk = {key["pk"]: value for key, value in zip(wanted, [*ids, *emails], strict=True)}
        aliases: dict[str, dict[str, Any]] = {}
        owners: dict[str, str] = {}
        for item in self.table.get_many(wanted, consistent=True):
            value = by_pk.get(item["pk"])
            if value is None:
                continue
            if item["sk"] == "EMAILID":
                aliases[value] = item
            else:
                owners[value] = str(item["contact_id"])
        return MailboxView(aliases, owners)

    def session(self, tenant_id: str, session_id: str) -> dict[str, Any] | None:
        return self.table.get(keys.session(tenant_id, session_id), consistent=True)

    def contact(self, tenant_id: str, contact_id: str) -> dict[str, Any] | None:
        return self.table.get(keys.contact(tenant_id, contact_id), consistent=True)

    def alias(self, tenant_id: str, channel_id: str, message_id: str) -> dict[str, Any] | None:
        return self.table.get(keys.email_message_id(tenant_id, channel_id, message_id))

    def store_inbound(self, mail: InboundMail) -> bool:
        """One transaction; False when the mail's id was stored before (a duplicate: nothing written). Any
        other refusal (a concurrent writer, the contact blocked since the read) raises ``TransactionConflict``:
        read and decide again."""
        return self._committed_unless_duplicate(*inbound_transaction(mail))

    def store_on_session(self, tenant_id: str, channel_id: str, own_id: str, session_id: str,
                         message: dict[str, Any]) -> bool:
        """A system message (auto-reply, bounce) on its thread's session, with its id's alias; False when the
        id was stored before."""
        tx = Transaction()
        guard = tx.create(alias_item(tenant_id, channel_id, own_id, session_id, message, "in"))
        tx.create(message)
        return self._committed_unless_duplicate(tx, guard)

    def _committed_unless_duplicate(self, tx: Transaction, guard: int) -> bool:
        try:
            self.table.commit(tx)
        except TransactionConflict as conflict:
            if conflict.failed_at(guard):
                return False
            raise
        return True

    def record_automated(self, item: dict[str, Any]) -> bool:
        """Keep an automated or unparseable message that belongs to no thread. False if kept before."""
        try:
            self.table.put(item, condition="attribute_not_exists(pk)")
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def automated(self, tenant_id: str, limit: int = 50) -> list[dict[str, Any]]:
        response = self.table.query(
            KeyConditionExpression="pk = :pk", ScanIndexForward=False, Limit=limit,
            ExpressionAttributeValues={":pk": keys.automated_mail(tenant_id, "", "")["pk"]})
        return list(response["Items"])

    def mark_bounced(self, tenant_id: str, address: str, at_iso: str) -> str | None:
        """Mark the address bounced on the contact holding it (``email_status: {address: bounced}``).
        Returns the contact id, or None when no contact holds the address."""
        owner = self.table.get(keys.identifier(tenant_id, "email", address))
        if owner is None:
            return None
        key = keys.contact(tenant_id, str(owner["contact_id"]))
        state = {"status": "bounced", "at": at_iso}
        for _ in range(3):
            try:  # the map exists: set this address's entry
                self.table.update(key, "SET email_status.#a = :s", {":s": state}, {"#a": address},
                                  condition="attribute_exists(pk) AND attribute_exists(email_status)")
                return str(owner["contact_id"])
            except ClientError as exc:
                if not is_conditional_failure(exc):
                    raise
            try:  # no map yet: create it with this entry
                self.table.update(key, "SET email_status = :m", {":m": {address: state}},
                                  condition="attribute_exists(pk) AND attribute_not_exists(email_status)")
                return str(owner["contact_id"])
            except ClientError as exc:
                if not is_conditional_failure(exc):
                    raise
                if self.table.get(key) is None:
                    return None
        return None
