"""The team's items (docs/team.md): operators (with their presence and open-session count), groups,
routing rules, channels' business hours and canned responses. Each has its builder and repository here;
domain code (switchboard.team) decides, these turn the decision into one conditional write or transaction.

Group membership is written on both sides (``group_ids`` on the operator, ``members`` on the group), as
maps keyed by id, in one transaction: adding and removing one member is a commutative map update, so two
admins editing at once never lose each other's change."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import ClientError

from switchboard.storage import keys
from switchboard.storage.dynamo import (
    Table,
    Transaction,
    TransactionConflict,
    is_conditional_failure,
    plain,
    strip_keys,
)
from switchboard.storage.pagination import Page, query_page

PRESENCE_SHARDS = 4
_EPOCH_DIGITS = 12  # zero-padded epoch seconds sort as text


class EmailTaken(Exception):
    """Another operator of the tenant has this email."""


class StillHolding(Exception):
    """The operator holds open sessions (``count``)."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} open sessions")
        self.count = count


class Missing(Exception):
    """The item (or a group named by it) does not exist."""


def presence_shard(tenant_id: str, operator_id: str) -> int:
    return zlib.crc32(f"{tenant_id}#{operator_id}".encode()) % PRESENCE_SHARDS


def presence_sort_key(expires_epoch: int, tenant_id: str, operator_id: str) -> str:
    return f"{expires_epoch:0{_EPOCH_DIGITS}d}#{tenant_id}#{operator_id}"


def operator_view(item: dict[str, Any]) -> dict[str, Any]:
    data = strip_keys(item)
    data["groups"] = sorted(data.pop("group_ids", {}) or {})
    return data


def group_view(item: dict[str, Any]) -> dict[str, Any]:
    data = strip_keys(item)
    data["members"] = sorted(data.get("members") or {})
    return data


class OperatorRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, tenant_id: str, operator_id: str, consistent: bool = False) -> dict[str, Any] | None:
        return self.table.get(keys.operator(tenant_id, operator_id), consistent=consistent)

    def get_many(self, tenant_id: str, operator_ids: Iterable[str]) -> list[dict[str, Any]]:
        wanted = [keys.operator(tenant_id, o) for o in operator_ids]
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), 100):
            found.extend(self.table.get_many(wanted[start : start + 100], consistent=True))
        return found

    def list(self, tenant_id: str, cursor: str | None, limit: int) -> Page:
        partition = keys.operators_index(tenant_id)
        return query_page(
            self.table,
            keys.GSI1_PK,
            partition,
            cursor,
            limit,
            IndexName=keys.GSI1,
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": partition},
        )

    def email_taken(self, tenant_id: str, email: str) -> bool:
        return self.table.get(keys.operator_email(tenant_id, email), consistent=True) is not None

    def create(
        self, tenant_id: str, fields: dict[str, Any], groups: list[str], now_iso: str
    ) -> dict[str, Any]:
        """The operator, its unique email and its memberships, at once; EmailTaken or Missing (a group)."""
        operator_id = fields["operator_id"]
        item = {
            **keys.operator(tenant_id, operator_id),
            keys.GSI1_PK: keys.operators_index(tenant_id),
            keys.GSI1_SK: f"{now_iso}#{operator_id}",
            "tenant_id": tenant_id,
            **fields,
            "group_ids": {g: True for g in groups},
            "open_count": 0,
            "presence": "offline",
            "presence_expires_at": 0,
            "created_at": now_iso,
            "updated_at": now_iso,
        }
        tx = Transaction()
        tx.put(item, condition="attribute_not_exists(pk)")
        tx.put(
            {**keys.operator_email(tenant_id, fields["email"]), "operator_id": operator_id},
            condition="attribute_not_exists(pk)",
        )
        for group_id in groups:
            tx.update(
                keys.group(tenant_id, group_id),
                "SET members.#o = :t",
                {":t": True},
                {"#o": operator_id},
                condition="attribute_exists(pk)",
            )
        try:
            self.table.commit(tx)
        except TransactionConflict as conflict:
            if conflict.failed_at(1):
                raise EmailTaken(fields["email"]) from conflict
            if any(conflict.failed_at(i) for i in range(2, len(tx.items))):
                raise Missing("group") from conflict
            raise
        return item

    def update(
        self,
        tenant_id: str,
        operator_id: str,
        fields: dict[str, Any],
        add_groups: list[str],
        remove_groups: list[str],
        now_iso: str,
    ) -> dict[str, Any]:
        """Profile fields, and memberships added or removed on both sides; Missing when the operator (or
        an added group) does not exist."""
        tx = Transaction()
        _membership_update(tx, keys.operator(tenant_id, operator_id), fields, now_iso, ("group_ids", add_groups,
                           remove_groups), lambda group_id: keys.group(tenant_id, group_id), "members", operator_id)
        _commit_memberships(self.table, tx, "operator or group")
        found = self.get(tenant_id, operator_id, consistent=True)
        if found is None:
            raise Missing("operator")
        return found

    def delete(self, tenant_id: str, operator_id: str) -> None:
        """Refused (StillHolding) while the operator holds open sessions; its memberships go with it."""
        current = self.get(tenant_id, operator_id, consistent=True)
        if current is None:
            raise Missing("operator")
        tx = Transaction()
        tx.delete(keys.operator(tenant_id, operator_id), condition="open_count = :zero", values={":zero": 0})
        tx.delete(keys.operator_email(tenant_id, current["email"]))
        for group_id in current.get("group_ids") or {}:
            tx.update(keys.group(tenant_id, group_id), "REMOVE members.#o", names={"#o": operator_id})
        try:
            self.table.commit(tx)
        except TransactionConflict as conflict:
            if conflict.failed_at(0):
                again = self.get(tenant_id, operator_id, consistent=True)
                if again is None:
                    raise Missing("operator") from conflict
                raise StillHolding(int(again.get("open_count", 0))) from conflict
            raise

    # -- presence ------------------------------------------------------------------------------------
    def set_presence(
        self, tenant_id: str, operator_id: str, status: str, now_iso: str, expires_epoch: int
    ) -> dict[str, Any]:
        """The new presence; returns the item as it was before (None fields when it had none). Online and
        away expire at ``expires_epoch`` (the sweep finds them in the presence index); offline does not."""
        values: dict[str, Any] = {":p": status, ":now": now_iso, ":e": expires_epoch}
        expression = "SET presence = :p, presence_at = :now, presence_expires_at = :e"
        if status != "offline":
            values[":false"] = False
        if status == "offline":
            expression += " REMOVE gsi2pk, gsi2sk"
            values[":e"] = 0
        else:
            expression += ", gsi2pk = :gpk, gsi2sk = :gsk"
            values[":gpk"] = keys.presence_index(presence_shard(tenant_id, operator_id))
            values[":gsk"] = presence_sort_key(expires_epoch, tenant_id, operator_id)
        condition = "attribute_exists(pk)" + ("" if status == "offline" else " AND disabled = :false")
        try:
            return self.table.update(
                keys.operator(tenant_id, operator_id),
                expression,
                values,
                condition=condition,
                return_values="ALL_OLD",
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            raise Missing("operator (or it is disabled)") from exc

    def expired_presences(self, shard: int, now_epoch: int, limit: int = 100) -> list[dict[str, Any]]:
        """Operators of any tenant whose online/away presence expired (a key range of the index)."""
        response = self.table.query(
            IndexName=keys.GSI2,
            KeyConditionExpression="gsi2pk = :pk AND gsi2sk < :upto",
            ExpressionAttributeValues={
                ":pk": keys.presence_index(shard),
                ":upto": f"{now_epoch:0{_EPOCH_DIGITS}d}#",
            },
            Limit=limit,
        )
        return response["Items"]

    def expire_presence(self, tenant_id: str, operator_id: str, now_iso: str, now_epoch: int) -> str | None:
        """Offline, unless a heartbeat came meanwhile; returns the presence it had (None if unchanged)."""
        try:
            old = self.table.update(
                keys.operator(tenant_id, operator_id),
                "SET presence = :off, presence_at = :now, presence_expires_at = :zero REMOVE gsi2pk, gsi2sk",
                {":off": "offline", ":now": now_iso, ":zero": 0, ":epoch": now_epoch},
                condition="attribute_exists(pk) AND presence_expires_at <= :epoch",
                return_values="ALL_OLD",
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            return None
        return str(old.get("presence"))


class GroupRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, tenant_id: str, group_id: str, consistent: bool = False) -> dict[str, Any] | None:
        return self.table.get(keys.group(tenant_id, group_id), consistent=consistent)

    def get_many(self, tenant_id: str, group_ids: Iterable[str]) -> list[dict[str, Any]]:
        wanted = [keys.group(tenant_id, g) for g in group_ids]
        return self.table.get_many(wanted, consistent=True) if wanted else []

    def list(self, tenant_id: str, cursor: str | None, limit: int) -> Page:
        partition = keys.groups_index(tenant_id)
        return query_page(
            self.table,
            keys.GSI1_PK,
            partition,
            cursor,
            limit,
            IndexName=keys.GSI1,
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": partition},
        )

    def create(
        self, tenant_id: str, fields: dict[str, Any], members: list[str], now_iso: str
    ) -> dict[str, Any]:
        group_id = fields["group_id"]
        item = {
            **keys.group(tenant_id, group_id),
            keys.GSI1_PK: keys.groups_index(tenant_id),
            keys.GSI1_SK: f"{now_iso}#{group_id}",
            "tenant_id": tenant_id,
            **fields,
            "members": {m: True for m in members},
            "created_at": now_iso,
            "updated_at": now_iso,
        }
        tx = Transaction()
        tx.put(item, condition="attribute_not_exists(pk)")
        for operator_id in members:
            tx.update(
                keys.operator(tenant_id, operator_id),
                "SET group_ids.#g = :t",
                {":t": True},
                {"#g": group_id},
                condition="attribute_exists(pk)",
            )
        try:
            self.table.commit(tx)
        except TransactionConflict as conflict:
            if any(conflict.failed_at(i) for i in range(1, len(tx.items))):
                raise Missing("operator") from conflict
            raise
        return item

    def update(
        self,
        tenant_id: str,
        group_id: str,
        fields: dict[str, Any],
        add: list[str],
        remove: list[str],
        now_iso: str,
    ) -> dict[str, Any]:
        tx = Transaction()
        _membership_update(tx, keys.group(tenant_id, group_id), fields, now_iso, ("members", add, remove),
                           lambda operator_id: keys.operator(tenant_id, operator_id), "group_ids", group_id)
        _commit_memberships(self.table, tx, "group or operator")
        found = self.get(tenant_id, group_id, consistent=True)
        if found is None:
            raise Missing("group")
        return found

    def delete(self, tenant_id: str, group_id: str) -> None:
        current = self.get(tenant_id, group_id, consistent=True)
        if current is None:
            raise Missing("group")
        tx = Transaction()
        tx.delete(keys.group(tenant_id, group_id), condition="attribute_exists(pk)")
        for operator_id in current.get("members") or {}:
            tx.update(keys.operator(tenant_id, operator_id), "REMOVE group_ids.#g", names={"#g": group_id})
        self.table.commit(tx)

    def waiting(self, tenant_id: str, group_id: str, limit: int, cursor: str | None = None) -> Page:
        """The group's queue, oldest first (a strongly consistent read of its partition)."""
        partition = keys.group_queue_partition(tenant_id, group_id)
        return query_page(
            self.table,
            keys.PK,
            partition,
            cursor,
            limit,
            ConsistentRead=True,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": partition},
        )


class TeamSettingsRepository:
    """The tenant's routing rules and each channel's business hours and away message."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def routing_rules(self, tenant_id: str) -> dict[str, Any]:
        return plain(self.table.get(keys.routing_rules(tenant_id)) or {})

    def put_routing_rules(
        self, tenant_id: str, rules: list[dict[str, Any]], default_group_id: str | None, now_iso: str
    ) -> dict[str, Any]:
        item = {
            **keys.routing_rules(tenant_id),
            "rules": rules,
            "default_group_id": default_group_id,
            "updated_at": now_iso,
        }
        self.table.put(item)
        return item

    def channel_hours(self, tenant_id: str, channel_id: str) -> dict[str, Any]:
        return plain(self.table.get(keys.channel_hours(tenant_id, channel_id)) or {})

    def put_channel_hours(
        self,
        tenant_id: str,
        channel_id: str,
        business_hours: dict[str, Any] | None,
        away_message: str | None,
        now_iso: str,
    ) -> dict[str, Any]:
        item = {
            **keys.channel_hours(tenant_id, channel_id),
            "channel_id": channel_id,
            "business_hours": business_hours,
            "away_message": away_message,
            "updated_at": now_iso,
        }
        self.table.put(item)
        return item


class CannedResponseRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, tenant_id: str, response_id: str) -> dict[str, Any] | None:
        return self.table.get(keys.canned_response(tenant_id, response_id))

    def create(self, tenant_id: str, fields: dict[str, Any], now_iso: str) -> dict[str, Any]:
        item = {
            **keys.canned_response(tenant_id, fields["canned_response_id"]),
            "tenant_id": tenant_id,
            **fields,
            keys.GSI1_PK: keys.canned_index(tenant_id, fields.get("owner_id")),
            keys.GSI1_SK: f"{fields['shortcut'].lower()}#{fields['canned_response_id']}",
            "created_at": now_iso,
            "updated_at": now_iso,
        }
        self.table.put(item, condition="attribute_not_exists(pk)")
        return item

    def update(
        self, tenant_id: str, current: dict[str, Any], fields: dict[str, Any], now_iso: str
    ) -> dict[str, Any]:
        merged = {
            **current,
            **fields,
            "updated_at": now_iso,
            keys.GSI1_SK: f"{fields.get('shortcut', current['shortcut']).lower()}#"
            f"{current['canned_response_id']}",
        }
        try:
            self.table.put(
                merged,
                condition="updated_at = :seen",
                ExpressionAttributeValues={":seen": current["updated_at"]},
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            raise Missing("changed meanwhile") from exc
        return merged

    def delete(self, tenant_id: str, response_id: str) -> None:
        self.table.delete(keys.canned_response(tenant_id, response_id))

    def search(self, tenant_id: str, owner_id: str | None, prefix: str, limit: int,
               after: str | None = None) -> list[dict[str, Any]]:
        """By shortcut prefix, in ``<shortcut>#<id>`` order; ``after``: past that position (a page's cursor)."""
        partition = keys.canned_index(tenant_id, owner_id)
        if after:
            response = self.table.query(
                IndexName=keys.GSI1,
                KeyConditionExpression="gsi1pk = :pk AND gsi1sk > :after",
                ExpressionAttributeValues={":pk": partition, ":after": after},
                Limit=limit,
            )
            return [i for i in response["Items"] if str(i.get(keys.GSI1_SK, "")).startswith(prefix.lower())]
        if not prefix:
            return self.table.query(
                IndexName=keys.GSI1,
                KeyConditionExpression="gsi1pk = :pk",
                ExpressionAttributeValues={":pk": partition},
                Limit=limit,
            )["Items"]
        response = self.table.query(
            IndexName=keys.GSI1,
            KeyConditionExpression="gsi1pk = :pk AND begins_with(gsi1sk, :p)",
            ExpressionAttributeValues={":pk": partition, ":p": prefix.lower()},
            Limit=limit,
        )
        return response["Items"]


def _membership_update(tx: Transaction, key: dict[str, str], fields: dict[str, Any], now_iso: str,
                       own: tuple[str, list[str], list[str]], other_key: Callable[[str], dict[str, str]],
                       other_map: str, member_id: str) -> None:
    """One side's fields and its membership map (``own``: the map, the ids added, the ids removed), and the
    other side of each membership added or removed (an operator's ``group_ids``, a group's ``members``), in one
    transaction. Both sides must exist where a membership is added."""
    own_map, added, removed = own
    sets = ["updated_at = :now"]
    values: dict[str, Any] = {":now": now_iso}
    names: dict[str, str] = {}
    for index, (name, value) in enumerate(fields.items()):
        names[f"#f{index}"] = name
        values[f":f{index}"] = value
        sets.append(f"#f{index} = :f{index}")
    removes = []
    for index, other_id in enumerate(added):
        names[f"#a{index}"] = other_id
        sets.append(f"{own_map}.#a{index} = :t")
        values[":t"] = True
    for index, other_id in enumerate(removed):
        names[f"#r{index}"] = other_id
        removes.append(f"{own_map}.#r{index}")
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    tx.update(key, expression, values, names or None, condition="attribute_exists(pk)")
    for other_id in added:
        tx.update(other_key(other_id), f"SET {other_map}.#m = :t", {":t": True}, {"#m": member_id},
                  condition="attribute_exists(pk)")
    for other_id in removed:
        tx.update(other_key(other_id), f"REMOVE {other_map}.#m", names={"#m": member_id})


def _commit_memberships(table: Table, tx: Transaction, missing: str) -> None:
    try:
        table.commit(tx)
    except TransactionConflict as conflict:
        if any(conflict.failed_at(i) for i in range(len(tx.items))):
            raise Missing(missing) from conflict
        raise
