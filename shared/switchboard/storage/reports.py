"""Reports' aggregates (docs/reports.md): day cells, one per (day, operator, group, channel), each event counted
once by a marker written in the same transaction as its one cell update; and the CSAT answers on the session
item. The reads sum the cells of a range per dimension (one Query)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from switchboard.storage import keys
from switchboard.storage.dynamo import ConditionFailed, Table, Transaction, TransactionConflict, plain

# A marker outlives every redelivery: EventBridge retries for six hours, Lambda's async retries within that.
MARKER_TTL_S = 7 * 24 * 3600


@dataclass(frozen=True)
class CellChange:
    """What one fact adds to the day cell of its operator, group and channel. A change with durations goes to
    the cell's durations item, so the counters item every message updates stays a few hundred bytes (one
    write unit's KB) however many durations the day collects."""

    day: str
    operator: str
    group: str
    channel: str
    counters: dict[str, int] = field(default_factory=dict)
    durations: dict[str, int] = field(default_factory=dict)  # name -> one duration in ms, appended


@dataclass(frozen=True)
class CountedFact:
    """The intent of one domain event: its marker, its cell change, the gauge, the first response."""

    marker: str
    change: CellChange
    open_delta: int = 0
    first_response_of: str | None = None  # session id whose first_response_at this fact sets (once)
    first_response_at: str | None = None


class FirstResponseTaken(Exception):
    """The session's first response was counted already (by another event): count without it."""


class ReportStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def record(self, tenant_id: str, fact: CountedFact, now_epoch: int) -> bool:
        """One transaction; False (nothing written) when the marker says the fact was counted."""
        tx = Transaction()
        marker = keys.report_marker(tenant_id, fact.marker)
        tx.create({**marker, "expires_at": now_epoch + MARKER_TTL_S})
        first = None
        if fact.first_response_of:
            first = tx.update(keys.session(tenant_id, fact.first_response_of), "SET first_response_at = :at",
                              {":at": fact.first_response_at},
                              condition="attribute_exists(pk) AND attribute_not_exists(first_response_at)")
        self._cell_update(tx, tenant_id, fact.change)
        if fact.open_delta:
            tx.update(keys.report_gauge(tenant_id), "ADD #open :d", {":d": fact.open_delta}, {"#open": "open"})
        try:
            self.table.commit(tx)
        except TransactionConflict as conflict:
            if conflict.failed_at(0):
                return False
            if first is not None and conflict.failed_at(first):
                raise FirstResponseTaken(fact.first_response_of) from conflict
            raise
        return True

    @staticmethod
    def _cell_update(tx: Transaction, tenant_id: str, change: CellChange) -> None:
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        adds, sets = [], []
        for index, (name, delta) in enumerate(sorted(change.counters.items())):
            names[f"#c{index}"], values[f":c{index}"] = name, delta
            adds.append(f"#c{index} :c{index}")
        for index, (name, seconds) in enumerate(sorted(change.durations.items())):
            names[f"#d{index}"], values[f":d{index}"] = name, [seconds]
            sets.append(f"#d{index} = list_append(if_not_exists(#d{index}, :empty), :d{index})")
        if sets:
            values[":empty"] = []
        expression = " ".join(part for part in (
            ("SET " + ", ".join(sets)) if sets else "", ("ADD " + ", ".join(adds)) if adds else "") if part)
        if not expression:
            return
        key = keys.report_cell(tenant_id, change.day, change.operator, change.group, change.channel,
                               durations=bool(change.durations))
        tx.update(key, expression, values, names)

    def cells(self, tenant_id: str, from_day: str, to_day: str) -> Iterator[dict[str, Any]]:
        """The day cells (counters and durations items) from ``from_day`` to ``to_day`` (inclusive), each
        with its ``day``, ``operator``, ``group`` and ``channel``: one Query, paged."""
        for item in self.table.query_items(
                KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
                ExpressionAttributeValues={":pk": keys.report_cells(tenant_id),
                                           ":from": f"{from_day}#", ":to": f"{to_day}#\uffff"}):
            day, operator, group, channel = str(item["sk"]).split("#")[:4]
            yield {**{k: plain(v) for k, v in item.items() if k not in ("pk", "sk")},
                   "day": day, "operator": operator, "group": group, "channel": channel}

    def open_sessions(self, tenant_id: str) -> int:
        item = self.table.get(keys.report_gauge(tenant_id)) or {}
        return max(0, int(plain(item.get("open", 0))))

    def operators(self, tenant_id: str) -> list[dict[str, Any]]:
        """The tenant's operators (the operators index: one Query, paged)."""
        return [{k: plain(v) for k, v in item.items()} for item in self.table.query_items(
            IndexName=keys.GSI1, KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": keys.operators_index(tenant_id)})]

    def waiting_counts(self, tenant_id: str) -> dict[str, int]:
        """Sessions waiting in each group's queue: the groups index, then a counting Query per queue
        (its entries are the waiting sessions; nothing else is read)."""
        counts: dict[str, int] = {}
        for group in self.table.query_items(
                IndexName=keys.GSI1, KeyConditionExpression="gsi1pk = :pk", ProjectionExpression="group_id",
                ExpressionAttributeValues={":pk": keys.groups_index(tenant_id)}):
            group_id = str(group["group_id"])
            kwargs: dict[str, Any] = {
                "KeyConditionExpression": "pk = :pk", "Select": "COUNT",
                "ExpressionAttributeValues": {":pk": keys.group_queue_partition(tenant_id, group_id)}}
            total = 0
            while True:
                response = self.table.query(**kwargs)
                total += int(response["Count"])
                if not response.get("LastEvaluatedKey"):
                    break
                kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
            counts[group_id] = total
        return counts


class CsatStore:
    """The survey's marks and the customer's answer, on the session item."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def mark_survey_sent(self, tenant_id: str, session_id: str, resolved_at: str, now_iso: str) -> bool:
        """Once per resolution: False when this resolution's survey went out already (or the session is
        gone or no longer resolved at that moment)."""
        try:
            self.table.update(keys.session(tenant_id, session_id), "SET csat_sent_at = :now, csat_for = :res",
                              {":now": now_iso, ":res": resolved_at, ":resolved": "resolved"},
                              {"#status": "status"},
                              condition="attribute_exists(pk) AND #status = :resolved AND resolved_at = :res "
                                        "AND (attribute_not_exists(csat_for) OR csat_for <> :res)")
        except ConditionFailed:
            return False
        return True

    def record_answer(self, tenant_id: str, session_id: str, rating: int, comment: str | None, now_iso: str,
                      bucket: dict[str, str]) -> dict[str, Any] | None:
        """The rating (a second answer replaces the first); returns the session as it was before, or None
        when there is no such session or it was never surveyed. ``bucket`` (day and dimension values) is
        kept from the first answer, so a second one moves its count exactly."""
        sets = "SET csat_rating = :r, csat_answered_at = :now, csat_bucket = if_not_exists(csat_bucket, :b)"
        values: dict[str, Any] = {":r": rating, ":now": now_iso, ":b": bucket}
        if comment:
            sets += ", csat_comment = :c"
            values[":c"] = comment
        expression = sets if comment else sets + " REMOVE csat_comment"
        try:
            old = self.table.update(keys.session(tenant_id, session_id), expression, values,
                                    condition="attribute_exists(pk) AND attribute_exists(csat_sent_at)",
                                    return_values="ALL_OLD")
        except ConditionFailed:
            return None
        return {k: plain(v) for k, v in old.items()}
