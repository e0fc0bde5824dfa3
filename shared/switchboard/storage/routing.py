"""Assignment and queues as conditional transactions (docs/team.md).

The invariants live in the conditions, not in the code that reads before writing:
- an operator's ``open_count`` only grows while ``open_count < capacity`` (and, for routing, while the
  operator is online, not disabled and a member of the group);
- a session is assigned only while no operator's capacity holds it (``counted_operator_id`` absent) and its
  operator is still the one the router saw;
- a queue entry is taken (deleted) in the same transaction that assigns its session, so two routers never
  both assign it;
- releasing capacity removes ``counted_operator_id`` on condition it names that operator, so a redelivered
  "resolved" event frees nothing twice."""

from __future__ import annotations

import enum
from typing import Any

from botocore.exceptions import ClientError

from switchboard.domain import sessions
from switchboard.storage import keys
from switchboard.storage.dynamo import Table, Transaction, TransactionConflict, is_conditional_failure
from switchboard.storage.pagination import Page, query_page


class Assignment(enum.Enum):
    ASSIGNED = "assigned"
    OPERATOR_UNAVAILABLE = "operator_unavailable"  # full, offline, disabled or no longer a member
    SESSION_UNAVAILABLE = "session_unavailable"  # assigned meanwhile, resolved, or changed operator
    ENTRY_GONE = "entry_gone"  # another router took the queue entry
    CONFLICT = "conflict"  # a concurrent transaction touched the same items: try again


class RoutingStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def context(
        self, tenant_id: str, session_id: str, contact_id: str | None, channel_id: str | None
    ) -> dict[str, dict[str, Any]]:
        """One round trip: the session, its contact, the tenant's routing rules, the channel's hours."""
        wanted = {"session": keys.session(tenant_id, session_id), "rules": keys.routing_rules(tenant_id)}
        if contact_id:
            wanted["contact"] = keys.contact(tenant_id, contact_id)
        if channel_id:
            wanted["hours"] = keys.channel_hours(tenant_id, channel_id)
        found = {(i["pk"], i["sk"]): i for i in self.table.get_many(list(wanted.values()), consistent=True)}
        # every item asked for is in the answer ({} when it does not exist), the session only when it does
        context = {name: found.get((key["pk"], key["sk"]), {}) for name, key in wanted.items()}
        if not context["session"]:
            del context["session"]
        return context

    def session(self, tenant_id: str, session_id: str) -> dict[str, Any] | None:
        return self.table.get(keys.session(tenant_id, session_id), consistent=True)

    def contact(self, tenant_id: str, contact_id: str) -> dict[str, Any]:
        return self.table.get(keys.contact(tenant_id, contact_id)) or {}

    def waiting_sessions(self, tenant_id: str, group_id: str, cursor: str | None, limit: int) -> Page:
        """GET /sessions?group_id=&operator_id=none: the group's waiting sessions in arrival order (its queue
        partition, then one BatchGetItem)."""
        partition = keys.group_queue_partition(tenant_id, group_id)
        page = query_page(
            self.table,
            keys.PK,
            partition,
            cursor,
            limit,
            ConsistentRead=True,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": partition},
        )
        wanted = [keys.session(tenant_id, str(entry["session_id"])) for entry in page.items]
        found = {i["session_id"]: i for i in self.table.get_many(wanted)} if wanted else {}
        return Page([found[e["session_id"]] for e in page.items if e["session_id"] in found], page.cursor)

    def assign(
        self,
        tenant_id: str,
        session_id: str,
        operator_id: str,
        group_id: str,
        now_iso: str,
        now_epoch: int,
        previous_operator: str | None,
        queued_at: str | None = None,
        require_online: bool = True,
        by: str = "routing",
    ) -> Assignment:
        """``queued_at``: the session waits in the group's queue, and its entry is taken in the same
        transaction."""
        tx = Transaction()
        condition = "open_count < #cap AND disabled = :false AND attribute_exists(group_ids.#g)"
        values: dict[str, Any] = {":one": 1, ":now": now_iso, ":false": False}
        if require_online:
            condition += " AND presence = :online AND presence_expires_at > :epoch"
            values.update({":online": "online", ":epoch": now_epoch})
        tx.update(
            keys.operator(tenant_id, operator_id),
            "SET open_count = open_count + :one, last_assigned_at = :now",
            values,
            {"#g": group_id, "#cap": "capacity"},
            condition=condition,
        )
        session_values: dict[str, Any] = {
            ":op": operator_id,
            ":g": group_id,
            ":now": now_iso,
            ":by": by,
            ":resolved": sessions.RESOLVED,
        }
        session_condition = (
            "attribute_exists(pk) AND #status <> :resolved AND attribute_not_exists(counted_operator_id) AND "
        )
        if previous_operator:
            session_values[":prev"] = previous_operator
            session_condition += "(attribute_not_exists(operator_id) OR operator_id = :prev)"
        else:
            session_condition += "attribute_not_exists(operator_id)"
        tx.update(
            keys.session(tenant_id, session_id),
            "SET operator_id = :op, counted_operator_id = :op, group_id = :g, routed_at = :now, "
            "assigned_at = :now, assigned_by = :by REMOVE queued_at, queued_group_id",
            session_values,
            {"#status": "status"},
            condition=session_condition,
        )
        if queued_at is not None:
            tx.delete(
                keys.group_queue_entry(tenant_id, group_id, queued_at, session_id),
                condition="attribute_exists(pk)",
            )
        return self._commit(tx)

    def enqueue(
        self, tenant_id: str, session_id: str, group_id: str, arrived_at: str, previous_operator: str | None
    ) -> Assignment:
        """The session waits in the group's queue (its entry and the session's ``queued_at`` at once)."""
        tx = Transaction()
        tx.put(
            {
                **keys.group_queue_entry(tenant_id, group_id, arrived_at, session_id),
                "session_id": session_id,
                "group_id": group_id,
                "arrived_at": arrived_at,
            },
            condition="attribute_not_exists(pk)",
        )
        values: dict[str, Any] = {":g": group_id, ":at": arrived_at, ":resolved": sessions.RESOLVED}
        condition = (
            "attribute_exists(pk) AND #status <> :resolved AND attribute_not_exists(counted_operator_id) "
            "AND attribute_not_exists(queued_at) AND "
        )
        if previous_operator:
            values[":prev"] = previous_operator
            condition += "(attribute_not_exists(operator_id) OR operator_id = :prev)"
        else:
            condition += "attribute_not_exists(operator_id)"
        tx.update(
            keys.session(tenant_id, session_id),
            "SET group_id = :g, queued_group_id = :g, queued_at = :at REMOVE operator_id",
            values,
            {"#status": "status"},
            condition=condition,
        )
        result = self._commit(tx)
        return Assignment.SESSION_UNAVAILABLE if result is Assignment.OPERATOR_UNAVAILABLE else result

    def dequeue(self, tenant_id: str, session_id: str, group_id: str, arrived_at: str) -> None:
        """A waiting session that was resolved or assigned by hand leaves the queue."""
        self.table.delete(keys.group_queue_entry(tenant_id, group_id, arrived_at, session_id))
        try:
            self.table.update(
                keys.session(tenant_id, session_id),
                "REMOVE queued_at, queued_group_id",
                {":g": group_id},
                condition="queued_group_id = :g",
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise

    def release(self, tenant_id: str, session_id: str, operator_id: str) -> bool:
        """The operator's capacity held by this session is freed, once."""
        tx = Transaction()
        tx.update(
            keys.session(tenant_id, session_id),
            "REMOVE counted_operator_id",
            {":op": operator_id},
            condition="counted_operator_id = :op",
        )
        _release(tx, tenant_id, operator_id)
        return self._commit(tx) is Assignment.ASSIGNED

    def move_hold(self, tenant_id: str, session_id: str, from_operator: str | None, to_operator: str) -> bool:
        """A session assigned by hand (POST /sessions/{id}/assign) counts against its new operator."""
        tx = Transaction()
        values: dict[str, Any] = {":to": to_operator}
        if from_operator:
            values[":from"] = from_operator
            condition = "counted_operator_id = :from AND operator_id = :to"
        else:
            condition = "attribute_not_exists(counted_operator_id) AND operator_id = :to"
        tx.update(
            keys.session(tenant_id, session_id),
            "SET counted_operator_id = :to REMOVE queued_at, queued_group_id",
            values,
            condition=condition,
        )
        tx.update(
            keys.operator(tenant_id, to_operator),
            "SET open_count = open_count + :one",
            {":one": 1},
            condition="attribute_exists(pk)",
        )
        if from_operator:
            _release(tx, tenant_id, from_operator)
        return self._commit(tx) is Assignment.ASSIGNED

    def transfer(
        self,
        tenant_id: str,
        session_id: str,
        from_operator: str | None,
        to_operator: str | None,
        to_group: str | None,
        arrived_at: str,
        timeline: dict[str, Any],
        waiting_in: tuple[str, str] | None = None,
    ) -> Assignment:
        """Hand the session to an operator (within capacity) or to a group's queue, with a timeline entry
        saying who, from, to and when. Conditioned on the session still held by ``from_operator``;
        ``waiting_in`` (group, queued_at): the queue entry it leaves."""
        tx = Transaction()
        values: dict[str, Any] = {":resolved": sessions.RESOLVED}
        condition = "attribute_exists(pk) AND #status <> :resolved AND "
        if from_operator:
            values[":from"] = from_operator
            condition += "counted_operator_id = :from"
        else:
            condition += "attribute_not_exists(counted_operator_id)"
        if to_operator:
            values.update({":to": to_operator, ":now": timeline["sent_at"]})
            expression = "SET operator_id = :to, counted_operator_id = :to, assigned_at = :now"
            if to_group:
                values[":g"] = to_group
                expression += ", group_id = :g"
            expression += " REMOVE queued_at, queued_group_id"
        else:
            values.update({":g": to_group, ":at": arrived_at})
            expression = "SET group_id = :g, queued_group_id = :g, queued_at = :at REMOVE operator_id, counted_operator_id"
        tx.update(
            keys.session(tenant_id, session_id),
            expression,
            values,
            {"#status": "status"},
            condition=condition,
        )
        if to_operator:
            tx.update(
                keys.operator(tenant_id, to_operator),
                "SET open_count = open_count + :one, last_assigned_at = :now",
                {":one": 1, ":now": timeline["sent_at"], ":false": False},
                {"#cap": "capacity"},
                condition="open_count < #cap AND disabled = :false",
            )
        else:
            tx.put(
                {
                    **keys.group_queue_entry(tenant_id, to_group or "", arrived_at, session_id),
                    "session_id": session_id,
                    "group_id": to_group,
                    "arrived_at": arrived_at,
                },
                condition="attribute_not_exists(pk)",
            )
        if from_operator:
            _release(tx, tenant_id, from_operator)
        tx.put(
            {
                **keys.message(
                    tenant_id,
                    session_id,
                    keys.session_timeline_sort_key(timeline["sent_at"], timeline["message_id"]),
                ),
                **timeline,
            },
            condition="attribute_not_exists(pk)",
        )
        if waiting_in is not None:
            tx.delete(keys.group_queue_entry(tenant_id, waiting_in[0], waiting_in[1], session_id))
        try:
            self.table.commit(tx)
        except TransactionConflict as conflict:
            if conflict.failed_at(0):
                return Assignment.SESSION_UNAVAILABLE
            if conflict.failed_at(1):
                return Assignment.OPERATOR_UNAVAILABLE
            if any(conflict.failed_at(i) for i in range(len(tx.items))):
                return Assignment.SESSION_UNAVAILABLE
            return Assignment.CONFLICT
        return Assignment.ASSIGNED

    def mark_away_sent(self, tenant_id: str, session_id: str, now_iso: str) -> None:
        self.table.update(
            keys.session(tenant_id, session_id),
            "SET away_sent_at = :now",
            {":now": now_iso},
            condition="attribute_exists(pk)",
        )

    def _commit(self, tx: Transaction) -> Assignment:
        try:
            self.table.commit(tx)
        except TransactionConflict as conflict:
            if conflict.failed_at(0):
                return Assignment.OPERATOR_UNAVAILABLE
            if conflict.failed_at(1):
                return Assignment.SESSION_UNAVAILABLE
            if conflict.failed_at(2):
                return Assignment.ENTRY_GONE
            return Assignment.CONFLICT
        return Assignment.ASSIGNED


def _release(tx: Transaction, tenant_id: str, operator_id: str) -> None:
    """One session less against the operator's capacity (never below zero)."""
    tx.update(keys.operator(tenant_id, operator_id), "SET open_count = open_count - :one", {":one": 1, ":zero": 0},
              condition="open_count > :zero")
