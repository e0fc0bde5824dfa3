"""Delivery statuses on stored messages: forward only, parked when the message is not stored yet."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from switchboard import clock
from switchboard.storage import keys
from switchboard.storage.dynamo import Table, Transaction, committed_unless_refused, is_conditional_failure

PARKED_FOR = timedelta(days=7)
_PARKED_PREFIX = "status_"


class StatusStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def locate(self, tenant_id: str, provider_message_id: str, consistent: bool = False) -> dict[str, Any] | None:
        """The provider-id alias of a stored message: where its record lives."""
        return self.table.get(keys.provider_id(tenant_id, provider_message_id), consistent=consistent)

    def locate_in_thread(self, tenant_id: str, provider_message_id: str, channel_id: str,
                         recipient: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The alias and the recipient's thread pointer, in one BatchGetItem (the round trip ``locate``
        makes): the pointer names the session's last message, so a status touches the session only when
        its message is still the last one."""
        alias_key = keys.provider_id(tenant_id, provider_message_id)
        found = self.table.get_many([alias_key, keys.thread(tenant_id, channel_id, recipient)])
        alias = next((i for i in found if i["pk"] == alias_key["pk"] and i["sk"] == alias_key["sk"]), None)
        pointer = next((i for i in found if i["sk"] == "PTR"), None)
        return alias, pointer

    def advance(self, key: dict[str, str], status: str, rank: int, at_iso: str,
                extra: dict[str, Any]) -> bool:
        """Move the record at ``key`` (a message, or a record mirroring its status) to ``status`` if that is
        forward; record the time of this status either way. Returns whether the status changed."""
        names = {"#status": "status", "#s": status}
        values: dict[str, Any] = {":s": status, ":r": rank, ":at": at_iso}
        sets = ["#status = :s", "status_rank = :r"]
        for i, (name, value) in enumerate(extra.items()):
            names[f"#x{i}"] = name
            values[f":x{i}"] = value
            sets.append(f"#x{i} = :x{i}")
        forward = "attribute_exists(pk) AND (attribute_not_exists(status_rank) OR status_rank < :r)"
        try:
            self.table.update(key, "SET " + ", ".join([*sets, "statuses.#s = :at"]), values, names,
                              condition=forward)
            return True
        except ClientError as exc:
            if _no_statuses_map(exc):  # a record without a ``statuses`` map yet: start one
                return self._advance_first(key, sets, values, names, forward, status, at_iso)
            if not is_conditional_failure(exc):
                raise
        try:  # out of order or repeated: keep the time of this status, change nothing else
            self.table.update(key, "SET statuses.#s = :at", {":at": at_iso}, {"#s": status},
                              condition="attribute_exists(pk) AND attribute_not_exists(statuses.#s)")
        except ClientError as exc:
            if not (is_conditional_failure(exc) or _no_statuses_map(exc)):
                raise
        return False

    def _advance_first(self, key: dict[str, str], sets: list[str], values: dict[str, Any],
                       names: dict[str, str], forward: str, status: str, at_iso: str) -> bool:
        names = {k: v for k, v in names.items() if k != "#s"}
        values = {**{k: v for k, v in values.items() if k != ":at"}, ":first": {status: at_iso}}
        try:
            self.table.update(key, "SET " + ", ".join([*sets, "statuses = :first"]), values, names,
                              condition=f"{forward} AND attribute_not_exists(statuses)")
            return True
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
        return False

    def park(self, tenant_id: str, provider_message_id: str, status: str, payload: dict[str, Any]) -> bool:
        """Keep a status whose message is not recorded yet; False when it was recorded meanwhile (apply the
        status now). One transaction checks that the provider-id alias is still missing and writes the status
        into the parked item; the send worker records the alias with a check that nothing is parked, so
        each early status is either seen by that check or finds the alias (docs/inbound.md)."""
        tx = Transaction()
        tx.check(keys.provider_id(tenant_id, provider_message_id), "attribute_not_exists(pk)")
        tx.update(keys.parked_statuses(tenant_id, provider_message_id),
                  "SET #status = :payload, #ttl = if_not_exists(#ttl, :expires)",
                  {":payload": json.dumps(payload), ":expires": int((clock.now() + PARKED_FOR).timestamp())},
                  {"#status": _PARKED_PREFIX + status, "#ttl": keys.TTL_ATTRIBUTE})
        return committed_unless_refused(self.table, tx)

    def parked(self, tenant_id: str, provider_message_id: str) -> list[dict[str, Any]]:
        """The status payloads parked for a provider message id."""
        item = self.table.get(keys.parked_statuses(tenant_id, provider_message_id), consistent=True) or {}
        return [json.loads(value) for name, value in sorted(item.items()) if name.startswith(_PARKED_PREFIX)]

    def unpark(self, tenant_id: str, provider_message_id: str) -> None:
        """Drop the parked statuses once applied. Nothing can be parked after the alias is recorded."""
        self.table.delete(keys.parked_statuses(tenant_id, provider_message_id))


def _no_statuses_map(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ValidationException" and "document path" in str(exc).lower()
