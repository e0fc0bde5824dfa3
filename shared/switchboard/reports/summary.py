"""GET /reports/summary and /reports/now: rows summed from the day cells of the range, per the dimension
asked for (one Query; never a scan of sessions). Percentiles are exact: the cells keep every duration, and
the rows use the nearest-rank method (p90 = the ceil(0.9 n)-th smallest) and the median of the sorted
durations (the mean of the two middle ones when n is even)."""

from __future__ import annotations

import csv
import io
import math
import statistics
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel

from switchboard import clock
from switchboard.errors import InvalidInput
from switchboard.reports.aggregates import COUNTERS, DURATIONS, NONE
from switchboard.services import Services
from switchboard.storage.reports import ReportStore

GroupBy = Literal["operator", "group", "channel", "day"]
MAX_DAYS = 366


class SummaryRow(BaseModel):
    key: str  # the operator's, group's or channel's id ("none": without one), or the day (YYYY-MM-DD)
    sessions_opened: int
    sessions_resolved: int
    sessions_reopened: int
    messages_in: int
    messages_out: int
    first_response_seconds_median: float | None
    first_response_seconds_p90: float | None
    first_responses: int
    resolution_seconds_median: float | None
    resolution_seconds_p90: float | None
    sla_met_percent: float | None  # met / (met + breached) x 100, of the SLA targets that ended
    sla_met: int
    sla_breached: int
    csat_average: float | None
    csat_count: int


class Summary(BaseModel):
    group_by: GroupBy
    days_from: str
    days_to: str
    rows: list[SummaryRow]


CSV_COLUMNS = tuple(SummaryRow.model_fields)


def median(values: list[int]) -> float | None:
    """Of durations in milliseconds, in seconds."""
    return statistics.median(values) / 1000 if values else None


def p90(values: list[int]) -> float | None:
    """Nearest rank: the smallest value with at least 90% of the values at or below it (ms in, seconds out)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(len(ordered) * 9 / 10) - 1] / 1000


def days_range(from_day: str, to_day: str) -> tuple[str, str]:
    try:
        start = date.fromisoformat(from_day)
    except ValueError as exc:
        raise InvalidInput("a day, YYYY-MM-DD", field="from") from exc
    try:
        end = date.fromisoformat(to_day)
    except ValueError as exc:
        raise InvalidInput("a day, YYYY-MM-DD", field="to") from exc
    if end < start:
        raise InvalidInput("'to' is before 'from'", field="to")
    if end - start >= timedelta(days=MAX_DAYS):
        raise InvalidInput(f"at most {MAX_DAYS} days", field="to")
    return start.isoformat(), end.isoformat()


def _row(key: str, cells: list[dict[str, Any]]) -> SummaryRow:
    totals = {name: sum(int(c.get(name, 0)) for c in cells) for name in COUNTERS}
    spans = {name: [int(v) for c in cells for v in c.get(name, [])] for name in DURATIONS}
    ended = totals["sla_met"] + totals["sla_breached"]
    return SummaryRow(
        key=key, sessions_opened=totals["opened"], sessions_resolved=totals["resolved"],
        sessions_reopened=totals["reopened"], messages_in=totals["messages_in"],
        messages_out=totals["messages_out"],
        first_response_seconds_median=median(spans["first_response_ms"]),
        first_response_seconds_p90=p90(spans["first_response_ms"]),
        first_responses=len(spans["first_response_ms"]),
        resolution_seconds_median=median(spans["resolution_ms"]),
        resolution_seconds_p90=p90(spans["resolution_ms"]),
        sla_met_percent=round(100 * totals["sla_met"] / ended, 2) if ended else None,
        sla_met=totals["sla_met"], sla_breached=totals["sla_breached"],
        csat_average=round(totals["csat_sum"] / totals["csat_count"], 2) if totals["csat_count"] else None,
        csat_count=totals["csat_count"],
    )


def summary(services: Services, tenant_id: str, from_day: str, to_day: str, group_by: GroupBy) -> Summary:
    start, end = days_range(from_day, to_day)
    # Every fact is in one cell, which names its day, operator, group and channel: a row sums its cells.
    rows: dict[str, list[dict[str, Any]]] = {}
    for cell in ReportStore(services.table).cells(tenant_id, start, end):
        rows.setdefault(cell[group_by], []).append(cell)
    ordered = sorted(rows, key=lambda k: (k == NONE, k))
    return Summary(group_by=group_by, days_from=start, days_to=end, rows=[_row(k, rows[k]) for k in ordered])


def as_csv(report: Summary) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        writer.writerow(["" if (value := getattr(row, column)) is None else value for column in CSV_COLUMNS])
    return out.getvalue()


class OperatorToday(BaseModel):
    operator: str  # the operator's id
    name: str | None = None
    open_sessions: int  # the sessions they hold now
    sessions_resolved: int  # today (UTC)
    messages_out: int
    first_responses: int


class NowReport(BaseModel):
    day: str
    open_sessions: int
    waiting_sessions: int  # waiting in a group's queue for an operator
    waiting_by_group: dict[str, int]
    operators: list[OperatorToday]


def now_report(services: Services, tenant_id: str) -> NowReport:
    """CDESK's panel: the open-sessions gauge, the groups' queues (counted, one Query each), each operator's
    held sessions and today's cells (one Query), summed per operator."""
    today = clock.iso(clock.now())[:10]
    store = ReportStore(services.table)
    waiting = store.waiting_counts(tenant_id)
    today_cells: dict[str, list[dict[str, Any]]] = {}
    for cell in store.cells(tenant_id, today, today):
        today_cells.setdefault(cell["operator"], []).append(cell)
    operators = []
    for operator in store.operators(tenant_id):
        today_row = _row(operator["operator_id"], today_cells.get(operator["operator_id"], []))
        operators.append(OperatorToday(
            operator=operator["operator_id"], name=operator.get("name"),
            open_sessions=int(operator.get("open_count", 0)), sessions_resolved=today_row.sessions_resolved,
            messages_out=today_row.messages_out, first_responses=today_row.first_responses))
    return NowReport(day=today, open_sessions=store.open_sessions(tenant_id), waiting_sessions=sum(waiting.values()),
                     waiting_by_group=waiting, operators=operators)
