"""The reports' day cells (docs/reports.md): a counted message is its marker and one cell update, the cell a
message moves stays within one write unit's KB however many durations its day holds, and the summary and
/reports/now sum the cells of each operator, group, channel and day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer

from bench.meter import item_size
from switchboard import clock
from switchboard.reports import aggregates, summary
from switchboard.services import services
from switchboard.storage.reports import ReportStore

TENANT = "cells"
DAYS = ("2026-11-02", "2026-11-03")
OPERATORS = ("op-a", "op-b")
GROUPS = ("g-sales", "g-support")
CHANNELS = ("wa-1", "mail-1")


@pytest.fixture
def transactions(aws) -> Iterator[list[dict[str, Any]]]:  # noqa: ANN001
    """The TransactWriteItems requests sent, as sent (the request's parameters)."""
    sent: list[dict[str, Any]] = []
    client = services().table._client

    def keep(params: dict[str, Any], model, **_: object) -> None:  # noqa: ANN001
        if model.name == "TransactWriteItems":
            sent.append(params)

    client.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", keep)
    yield sent
    client.meta.events.unregister("provide-client-params.dynamodb.TransactWriteItems", keep)


def _session(n: int) -> dict[str, Any]:
    return {"session_id": f"S{n}", "operator_id": OPERATORS[n % 2], "group_id": GROUPS[n // 2 % 2],
            "channel_id": CHANNELS[n // 4 % 2], "created_at": f"{DAYS[0]}T08:00:00.000Z", "started_by": None}


def _count(detail_type: str, detail: dict[str, Any], session: dict[str, Any], event_id: str = "e") -> bool:
    fact = aggregates.plan(detail_type, {"tenant_id": TENANT, **detail}, session, event_id)
    assert fact is not None
    return ReportStore(services().table).record(TENANT, fact, int(clock.now().timestamp()))


def _message_in(n: int, session: dict[str, Any], day: str) -> bool:
    return _count("message.received", {"message_id": f"M{n}", "session_id": session["session_id"],
                                       "at": f"{day}T09:{n % 60:02d}:00.000Z"}, session)


def _resolved(n: int, session: dict[str, Any], day: str, minutes: int) -> bool:
    resolved_at = f"{day}T{10 + minutes // 60:02d}:{minutes % 60:02d}:00.000Z"
    return _count("session.resolved", {"session_id": f"{session['session_id']}-{n}", "resolved_at": resolved_at,
                                       "opened_at": f"{day}T10:00:00.000Z", "at": resolved_at}, session)


def test_a_counted_message_is_its_marker_and_one_cell_update(transactions: list[dict[str, Any]]) -> None:
    assert _message_in(1, _session(1), DAYS[0])
    assert len(transactions[-1]["TransactItems"]) == 2


def test_a_messages_cell_stays_within_one_kb_however_many_durations_its_day_holds(
        transactions: list[dict[str, Any]]) -> None:
    session = _session(0)
    for n in range(300):  # 300 resolutions of that operator, group and channel that day
        _resolved(n, session, DAYS[0], n)
    _message_in(1, session, DAYS[0])
    updated = next(i["Update"]["Key"] for i in transactions[-1]["TransactItems"] if "Update" in i)
    item = services().table.get(updated) or {}
    assert item_size({k: TypeSerializer().serialize(v) for k, v in item.items()}) <= 1024  # DynamoDB's sizes


def _expected(key_of) -> dict[str, dict[str, int]]:  # noqa: ANN001
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for n in range(8):
        session = _session(n)
        for d, day in enumerate(DAYS):
            for _ in range(n % 3 + d + 1):
                rows[key_of(session, day)]["messages_in"] += 1
            if (n + d) % 2 == 0:
                rows[key_of(session, day)]["sessions_resolved"] += 1
    return rows


@pytest.fixture
def seeded(aws) -> None:  # noqa: ANN001
    """8 sessions over 2 operators x 2 groups x 2 channels (one cell each), 2 days of messages and
    resolutions."""
    number = 0
    for n in range(8):
        session = _session(n)
        for d, day in enumerate(DAYS):
            for _ in range(n % 3 + d + 1):
                number += 1
                assert _message_in(number, session, day)
            if (n + d) % 2 == 0:
                assert _resolved(number, session, day, 5 + n)


@pytest.mark.parametrize(("group_by", "key_of"), [
    ("operator", lambda session, day: session["operator_id"]),
    ("group", lambda session, day: session["group_id"]),
    ("channel", lambda session, day: session["channel_id"]),
    ("day", lambda session, day: day)])
def test_the_summary_sums_the_cells_of_each_key(seeded: None, group_by: str, key_of) -> None:  # noqa: ANN001
    expected = _expected(key_of)
    report = summary.summary(services(), TENANT, DAYS[0], DAYS[1], group_by)  # type: ignore[arg-type]
    got = {row.key: {"messages_in": row.messages_in, "sessions_resolved": row.sessions_resolved}
           for row in report.rows}
    assert got == {key: dict(want) for key, want in expected.items()}


def test_now_sums_each_operators_cells_of_today(aws) -> None:  # noqa: ANN001
    today = clock.iso(clock.now())[:10]
    for operator in OPERATORS:
        services().operators.create(TENANT, {"operator_id": operator, "email": f"{operator}@example.com",
                                             "name": operator}, [], clock.iso(clock.now()))
    for n in range(8):  # op-a holds sessions 0, 2, 4, 6: two groups, two channels (four cells)
        _resolved(n, _session(n), today, 1)
    operators = {o.operator: o.sessions_resolved for o in summary.now_report(services(), TENANT).operators}
    assert operators == {"op-a": 4, "op-b": 4}
