"""SLA policies (one per group or channel) and the SLA fields of a session: its timers (``sla``, written
whole under an optimistic revision), ``sla_breached``, and its unanswered alert (``unanswered_alert``)."""

from __future__ import annotations

from typing import Any

from switchboard.storage import keys
from switchboard.storage.dynamo import ConditionFailed, Table, Transaction, TransactionConflict, plain
from switchboard.storage.pagination import Page, query_page

TARGET_FIELDS = ("first_response_seconds", "next_response_seconds", "resolution_seconds")
SCHEDULED, SENT, CLOSED = "scheduled", "sent", "closed"


class ScopeTaken(Exception):
    """The group or channel already has a policy."""


class PolicyMissing(Exception):
    pass


class SlaPolicyRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, tenant_id: str, policy_id: str) -> dict[str, Any] | None:
        item = self.table.get(keys.sla_policy(tenant_id, policy_id), consistent=True)
        return plain(item) if item else None

    def list(self, tenant_id: str, cursor: str | None, limit: int) -> Page:
        partition = keys.sla_policies_index(tenant_id)
        return query_page(self.table, keys.GSI1_PK, partition, cursor, limit, IndexName=keys.GSI1,
                          KeyConditionExpression="gsi1pk = :pk", ExpressionAttributeValues={":pk": partition})

    @staticmethod
    def _scope_item(tenant_id: str, policy: dict[str, Any]) -> dict[str, Any]:
        return {**keys.sla_scope(tenant_id, policy["scope_kind"], policy["scope_id"]), "tenant_id": tenant_id,
                "policy_id": policy["policy_id"], **{f: policy.get(f) for f in TARGET_FIELDS}}

    def create(self, tenant_id: str, fields: dict[str, Any], now_iso: str) -> dict[str, Any]:
        item = {**keys.sla_policy(tenant_id, fields["policy_id"]), keys.GSI1_PK: keys.sla_policies_index(tenant_id),
                keys.GSI1_SK: f"{now_iso}#{fields['policy_id']}", "tenant_id": tenant_id, **fields,
                "created_at": now_iso, "updated_at": now_iso}
        tx = Transaction()
        tx.create(item)
        claim = tx.create(self._scope_item(tenant_id, item))
        try:
            self.table.commit(tx)
        except TransactionConflict as conflict:
            if conflict.failed_at(claim):
                raise ScopeTaken from conflict
            raise
        return plain(item)

    def update(self, tenant_id: str, policy_id: str, fields: dict[str, Any], now_iso: str) -> dict[str, Any]:
        """Name and targets; the scope's copy of the targets changes in the same transaction."""
        current = self.get(tenant_id, policy_id)
        if current is None:
            raise PolicyMissing
        changed = {**current, **fields}
        sets, values, names = ["updated_at = :now"], {":now": now_iso, ":id": policy_id}, {}
        for index, (name, value) in enumerate(fields.items()):
            names[f"#f{index}"] = name
            values[f":f{index}"] = value
            sets.append(f"#f{index} = :f{index}")
        tx = Transaction()
        tx.update(keys.sla_policy(tenant_id, policy_id), "SET " + ", ".join(sets), values, names or None,
                  condition="attribute_exists(pk) AND policy_id = :id")
        tx.put(self._scope_item(tenant_id, changed), condition="policy_id = :id", values={":id": policy_id})
        try:
            self.table.commit(tx)
        except TransactionConflict as conflict:
            raise PolicyMissing from conflict
        return {**changed, "updated_at": now_iso}

    def delete(self, tenant_id: str, policy_id: str) -> None:
        current = self.get(tenant_id, policy_id)
        if current is None:
            raise PolicyMissing
        tx = Transaction()
        tx.delete(keys.sla_policy(tenant_id, policy_id), condition="attribute_exists(pk)")
        tx.delete(keys.sla_scope(tenant_id, current["scope_kind"], current["scope_id"]),
                  condition="policy_id = :id", values={":id": policy_id})
        try:
            self.table.commit(tx)
        except TransactionConflict as conflict:
            raise PolicyMissing from conflict


class SessionSlaStore:
    """What the SLA consumer reads of a session and writes on it."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def session(self, tenant_id: str, session_id: str) -> dict[str, Any] | None:
        item = self.table.get(keys.session(tenant_id, session_id), consistent=True)
        return plain(item) if item else None

    def context(self, tenant_id: str, group_id: str | None, channel_id: str) -> dict[str, Any]:
        """One BatchGetItem: the group (hours, alert threshold), the group's and the channel's policy
        scopes, and the channel's hours."""
        wanted = [keys.sla_scope(tenant_id, "channel", channel_id), keys.channel_hours(tenant_id, channel_id)]
        if group_id:
            wanted += [keys.group(tenant_id, group_id), keys.sla_scope(tenant_id, "group", group_id)]
        found = {(i["pk"], i["sk"]): plain(i) for i in self.table.get_many(wanted)}

        def _of(key: dict[str, str]) -> dict[str, Any] | None:
            return found.get((key["pk"], key["sk"]))

        return {
            "group": _of(keys.group(tenant_id, group_id)) if group_id else None,
            "group_policy": _of(keys.sla_scope(tenant_id, "group", group_id)) if group_id else None,
            "channel_policy": _of(keys.sla_scope(tenant_id, "channel", channel_id)),
            "channel_hours": (_of(keys.channel_hours(tenant_id, channel_id)) or {}).get("business_hours"),
        }

    def save(self, tenant_id: str, session_id: str, sla: dict[str, Any], seen_rev: int | None,
             breached: bool) -> bool:
        """Write the timers if nobody wrote them since they were read (False: re-read and apply again)."""
        values: dict[str, Any] = {":sla": {**sla, "rev": (seen_rev or 0) + 1}}
        expression = "SET sla = :sla"
        if breached:
            expression += ", sla_breached = :true"
            values[":true"] = True
        if seen_rev is None:
            condition = "attribute_exists(pk) AND attribute_not_exists(sla)"
        else:
            condition = "sla.rev = :rev"
            values[":rev"] = seen_rev
        try:
            self.table.update(keys.session(tenant_id, session_id), expression, values, condition=condition)
        except ConditionFailed:
            return False
        return True

    # --- the unanswered alert ----------------------------------------------------------------------------

    def open_alert(self, tenant_id: str, session_id: str, since: str, due_at: str) -> bool:
        """A waiting period begins (unless one is already scheduled or alerted)."""
        try:
            self.table.update(
                keys.session(tenant_id, session_id), "SET unanswered_alert = :alert",
                {":alert": {"state": SCHEDULED, "since": since, "due_at": due_at}, ":closed": CLOSED},
                {"#state": "state"},
                condition="attribute_exists(pk) AND (attribute_not_exists(unanswered_alert) OR "
                          "unanswered_alert.#state = :closed)")
        except ConditionFailed:
            return False
        return True

    def close_alert(self, tenant_id: str, session_id: str, at: str) -> bool:
        """The waiting period ended (a reply, no reply needed, resolve)."""
        try:
            self.table.update(
                keys.session(tenant_id, session_id),
                "SET unanswered_alert.#state = :closed, unanswered_alert.closed_at = :at",
                {":closed": CLOSED, ":at": at, ":scheduled": SCHEDULED, ":sent": SENT}, {"#state": "state"},
                condition="unanswered_alert.#state IN (:scheduled, :sent)")
        except ConditionFailed:
            return False
        return True

    def claim_alert(self, tenant_id: str, session_id: str, due_at: str, at: str) -> dict[str, Any] | None:
        """The alert of this waiting period goes out once: only while it is scheduled for ``due_at`` and the
        customer's message is still unanswered on an unresolved session. The session, or None."""
        try:
            item = self.table.update(
                keys.session(tenant_id, session_id),
                "SET unanswered_alert.#state = :sent, unanswered_alert.sent_at = :at",
                {":sent": SENT, ":at": at, ":scheduled": SCHEDULED, ":due": due_at, ":true": True,
                 ":resolved": "resolved"},
                {"#state": "state", "#status": "status"},
                condition="unanswered_alert.#state = :scheduled AND unanswered_alert.due_at = :due AND "
                          "unanswered = :true AND #status <> :resolved",
                return_values="ALL_NEW")
        except ConditionFailed:
            return None
        return plain(item)

    def release_alert(self, tenant_id: str, session_id: str, due_at: str) -> None:
        """Sending failed: scheduled again, so the retried invocation may claim it."""
        try:
            self.table.update(keys.session(tenant_id, session_id), "SET unanswered_alert.#state = :scheduled "
                              "REMOVE unanswered_alert.sent_at",
                              {":scheduled": SCHEDULED, ":sent": SENT, ":due": due_at}, {"#state": "state"},
                              condition="unanswered_alert.#state = :sent AND unanswered_alert.due_at = :due")
        except ConditionFailed:
            pass
