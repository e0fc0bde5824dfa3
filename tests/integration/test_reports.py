"""Reports over a seeded week (the injected clock): the summary's figures equal those computed here from
the raw sessions and messages; the CSV says the same; redelivered events count once; tenants see only
their own; /reports/now shows the open sessions and each operator's day."""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import defaultdict

import boto3
import pytest

from infra.local import tokens
from switchboard import clock
from switchboard.clients.eventbus import DomainEvent
from switchboard.services import services
from tests.support.reports import Pipeline
from tests.support.team import customer_writes

OPERATORS = ("op-ada", "op-bob")


@pytest.fixture
def pipeline(aws, demo, graph):  # noqa: ANN001, ANN201
    return Pipeline(aws)


def _sessions(api, admin: str) -> list[dict]:  # noqa: ANN001
    return api.call("GET", "/sessions?limit=100", token=admin)[1]["items"]


def _seed_week(api, pipeline: Pipeline, admin: str) -> None:  # noqa: ANN001
    """Seven days; each day a few customers write, an operator answers after a while, most are resolved."""
    number = 0
    for day in range(7):
        for slot in range(day % 3 + 1):
            number += 1
            phone = f"4206050{number:05d}"
            pipeline.at(day, 9 + slot * 2)
            customer_writes(api, phone, text=f"question {number}")
            pipeline.inbound()
            session = next(s for s in _sessions(api, admin) if s["address"].endswith(phone[-6:]))
            operator = OPERATORS[number % 2]
            status, _ = api.call("POST", f"/sessions/{session['session_id']}/assign", {"operator_id": operator},
                                 token=admin)
            assert status == 200
            pipeline.at(day, 9 + slot * 2, 3 + number * 2)  # a first response after a few minutes
            token = tokens.issue("demo", "operator", operator)
            for reply in range(1 + number % 2):
                status, body = api.call("POST", f"/sessions/{session['session_id']}/messages",
                                        {"text": f"answer {reply}"}, token=token)
                assert status == 202, body
                pipeline.outbound()
            customer_writes(api, phone, text="thanks")
            pipeline.inbound()
            if number % 4 != 0:  # one in four stays open
                pipeline.at(day, 9 + slot * 2, 30 + number * 3)
                status, body = api.call("POST", f"/sessions/{session['session_id']}/resolve",
                                        {"outcome": "solved"}, token=token)
                assert status == 200, body
            if number % 3 == 0:  # an SLA target ends: two met, one breached, in turn
                outcome = "breached" if number % 9 == 0 else "met"
                services().bus.publish([DomainEvent(f"session.sla_{outcome}", "demo", {
                    "session_id": session["session_id"], "target": "first_response",
                    f"{outcome}_at": clock.iso(clock.now())})])
    pipeline.settle()


def _expected(api, admin: str, key_of) -> dict[str, dict]:  # noqa: ANN001
    """The figures computed from the raw sessions and their messages (not from any aggregate)."""
    rows: dict[str, dict] = defaultdict(lambda: defaultdict(int) | {"frt": [], "res": []})
    for session in _sessions(api, admin):
        messages = api.call("GET", f"/sessions/{session['session_id']}/messages?limit=100", token=admin)[1]["items"]
        opened = rows[key_of(session, session["created_at"])]
        opened["sessions_opened"] += 1
        for message in messages:
            if message["direction"] == "in":
                rows[key_of(session, message["created_at"])]["messages_in"] += 1
        outbound = sorted(m["statuses"]["sent"] for m in messages if m["direction"] == "out")
        for sent in outbound:
            rows[key_of(session, sent)]["messages_out"] += 1
        if outbound:
            first = _ms(session["created_at"], outbound[0])
            rows[key_of(session, outbound[0])]["frt"].append(first)
        if session["status"] == "resolved":
            row = rows[key_of(session, session["resolved_at"])]
            row["sessions_resolved"] += 1
            row["res"].append(_ms(session["created_at"], session["resolved_at"]))
    return rows


def _ms(start: str, end: str) -> int:
    return round((clock.parse_iso(end) - clock.parse_iso(start)).total_seconds() * 1000)


def _median_seconds(values: list[int]) -> float | None:
    return statistics.median(values) / 1000 if values else None


def _nearest_rank_p90(values: list[int]) -> float | None:
    """The smallest duration with at least 90% of them at or below it, in seconds."""
    if not values:
        return None
    ordered = sorted(values)
    rank = next(r for r in range(1, len(ordered) + 1) if r * 10 >= len(ordered) * 9)
    return ordered[rank - 1] / 1000


def _summary(api, admin: str, pipeline: Pipeline, group_by: str) -> dict:  # noqa: ANN001
    first, last = pipeline.base.date().isoformat(), (pipeline.base.date().fromordinal(
        pipeline.base.date().toordinal() + 6)).isoformat()
    status, body = api.call("GET", f"/reports/summary?from={first}&to={last}&group_by={group_by}", token=admin)
    assert status == 200, body
    return body


@pytest.fixture
def week(api, pipeline) -> Pipeline:  # noqa: ANN001
    admin = tokens.issue("demo", "admin", "demo-admin")
    _seed_week(api, pipeline, admin)
    return pipeline


def _admin() -> str:
    return tokens.issue("demo", "admin", "demo-admin")


def _check(report: dict, expected: dict[str, dict]) -> None:
    got = {row["key"]: row for row in report["rows"]}
    assert sorted(got) == sorted(expected)
    for key, want in expected.items():
        row = got[key]
        for name in ("sessions_opened", "sessions_resolved", "messages_in", "messages_out"):
            assert row[name] == want[name], (key, name)
        assert row["first_response_seconds_median"] == _median_seconds(want["frt"]), key
        assert row["first_response_seconds_p90"] == _nearest_rank_p90(want["frt"]), key
        assert row["resolution_seconds_median"] == _median_seconds(want["res"]), key
        assert row["resolution_seconds_p90"] == _nearest_rank_p90(want["res"]), key


def test_the_summary_by_day_matches_the_raw_messages_of_the_week(api, week: Pipeline) -> None:
    expected = _expected(api, _admin(), lambda session, at: at[:10])
    report = _summary(api, _admin(), week, "day")
    assert len(report["rows"]) == 7
    _check(report, expected)


def test_the_summary_by_operator_matches_the_raw_messages_of_the_week(api, week: Pipeline) -> None:
    expected = _expected(api, _admin(), lambda session, at: session.get("operator_id") or "none")
    _check(_summary(api, _admin(), week, "operator"), expected)


def test_sla_met_percent_counts_the_met_and_breached_targets(api, week: Pipeline) -> None:
    rows = _summary(api, _admin(), week, "channel")["rows"]
    assert [(r["key"], r["sla_met"], r["sla_breached"], r["sla_met_percent"]) for r in rows] == [
        ("wa-demo", 3, 1, 75.0)]


def test_the_csv_has_the_rows_of_the_json(api, week: Pipeline) -> None:
    report = _summary(api, _admin(), week, "operator")
    first, last = report["days_from"], report["days_to"]
    status, body = api.call("GET", f"/reports/summary.csv?from={first}&to={last}&group_by=operator", token=_admin())
    assert status == 200
    parsed = list(csv.DictReader(io.StringIO(body if isinstance(body, str) else body.decode())))
    as_json = [{k: "" if v is None else str(v) for k, v in row.items()} for row in report["rows"]]
    assert parsed == as_json


def test_a_redelivered_event_counts_once(api, week: Pipeline) -> None:
    before = _summary(api, _admin(), week, "day")
    queue = week.rule_queues["report_aggregation"]
    sessions = _sessions(api, _admin())
    message = api.call("GET", f"/sessions/{sessions[0]['session_id']}/messages?limit=1", token=_admin())[1]["items"][0]
    event = {"version": "0", "id": "redelivered-1", "source": "switchboard", "detail-type": "message.received",
             "detail": {"tenant_id": "demo", "at": message["created_at"], "message_id": message["message_id"],
                        "session_id": sessions[0]["session_id"], "channel_id": "wa-demo", "kind": "text",
                        "suppressed": False}}
    for _ in range(2):
        boto3.client("sqs").send_message(QueueUrl=queue, MessageBody=json.dumps(event))
    week.consumer("report_aggregation")
    assert _summary(api, _admin(), week, "day") == before


def test_another_tenant_sees_none_of_it(api, week: Pipeline) -> None:
    other = tokens.issue("other", "admin", "other-admin")
    assert _summary(api, other, week, "day")["rows"] == []


def test_an_operator_may_not_read_the_reports(api, week: Pipeline) -> None:
    first = week.base.date().isoformat()
    status, _ = api.call("GET", f"/reports/summary?from={first}&to={first}",
                         token=tokens.issue("demo", "operator", "op-ada"))
    assert status == 403


@pytest.mark.parametrize(("query", "field"), [("from=2026-13-01&to=2026-12-01", "from"),
                                             ("from=2026-12-05&to=2026-12-01", "to"),
                                             ("from=2026-12-01&to=2026-12-02&group_by=team", "group_by")])
def test_a_bad_range_is_a_422_naming_the_field(api, aws, query: str, field: str) -> None:  # noqa: ANN001
    status, body = api.call("GET", f"/reports/summary?{query}", token=_admin())
    assert status == 422
    assert field in json.dumps(body)


def test_now_shows_the_open_sessions_and_each_operators_day(api, week: Pipeline) -> None:
    status, body = api.call("GET", "/reports/now", token=_admin())
    assert status == 200
    still_open = [s for s in _sessions(api, _admin()) if s["status"] != "resolved"]
    assert body["open_sessions"] == len(still_open)
