"""The email channel's reads and writes on the data table: what the mailbox knows of a message's ids and
addresses (one BatchGetItem), thread-id aliases, tenant-level records of automated mail, and contacts'
bounced addresses. Every multi-item change is one transaction (``Table.commit``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from switchboard.storage import keys
from switchboard.storage.dynamo import Table, Transaction, is_conditional_failure

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


class EmailStore:
    def __init__(self, table: Table) -> None:
        self.table = table

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

    def commit(self, tx: Transaction) -> None:
        self.table.commit(tx)

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
