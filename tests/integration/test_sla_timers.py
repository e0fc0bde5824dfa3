"""SLA timers under moto with the injected clock (docs/sla.md): sla_timers follows the bus's events, each
running target is a one-time schedule that the local EventBridge Scheduler fires when the clock gets there."""

from __future__ import annotations

from datetime import timedelta

import pytest

from infra.declaration import function
from infra.local import event_rules
from infra.local.triggers import drain
from switchboard import clock
from tests.support.sla import Desk
from tests.support.team import customer_writes

TARGETS = {"first_response_seconds": 300, "next_response_seconds": 600, "resolution_seconds": 1800}


@pytest.fixture
def desk(api, demo, aws, graph, monkeypatch) -> Desk:
    return Desk(api, aws, monkeypatch)


def test_a_reply_within_the_target_meets_first_response(desk: Desk) -> None:
    desk.policy(channel_id="wa-demo", **TARGETS)
    session_id = desk.customer_writes("420700000001")
    clock.advance(120)
    desk.reply(session_id)
    assert desk.session(session_id)["sla"]["first_response"]["status"] == "met"


def test_a_met_target_is_published_with_the_time_it_took(desk: Desk) -> None:
    desk.policy(channel_id="wa-demo", **TARGETS)
    session_id = desk.customer_writes("420700000002")
    clock.advance(120)
    desk.reply(session_id)
    (met,) = [e for e in desk.published("session.sla_met") if e["target"] == "first_response"]
    assert 119 <= met["elapsed_seconds"] <= 121


def test_a_session_shows_its_running_timers_with_their_due_times(desk: Desk) -> None:
    desk.policy(channel_id="wa-demo", **TARGETS)
    session_id = desk.customer_writes("420700000003")
    sla = desk.session(session_id)["sla"]
    due = clock.parse_iso(sla["first_response"]["due_at"]) - clock.parse_iso(sla["first_response"]["started_at"])
    assert due == timedelta(seconds=300)


def test_an_unanswered_message_breaches_first_response_when_its_schedule_fires(desk: Desk) -> None:
    desk.policy(channel_id="wa-demo", **TARGETS)
    session_id = desk.customer_writes("420700000004")
    clock.advance(301)
    desk.tick()
    assert desk.session(session_id)["sla"]["first_response"]["status"] == "breached"


def test_a_breach_marks_the_session_for_the_breached_filter(desk: Desk) -> None:
    desk.policy(channel_id="wa-demo", **TARGETS)
    session_id = desk.customer_writes("420700000005")
    clock.advance(301)
    desk.tick()
    assert desk.session(session_id)["sla_breached"] is True


def test_a_breach_is_published_once_even_when_its_schedule_fires_twice(desk: Desk) -> None:
    desk.policy(channel_id="wa-demo", **TARGETS)
    session_id = desk.customer_writes("420700000006")
    payload = desk.schedule_input(session_id, "first_response")
    clock.advance(301)
    desk.tick()
    desk.fire(payload)
    assert len(desk.published("session.sla_breached")) == 1


def test_a_reply_in_time_leaves_nothing_to_breach(desk: Desk) -> None:
    desk.policy(channel_id="wa-demo", **TARGETS)
    session_id = desk.customer_writes("420700000007")
    payload = desk.schedule_input(session_id, "first_response")
    clock.advance(60)
    desk.reply(session_id)
    clock.advance(300)
    desk.tick()
    desk.fire(payload)
    outcome = desk.session(session_id)["sla"]["first_response"]["status"]
    assert (outcome, desk.published("session.sla_breached")) == ("met", [])


def test_resolution_pauses_while_awaiting_the_customer(desk: Desk) -> None:
    desk.policy(channel_id="wa-demo", **TARGETS)
    session_id = desk.customer_writes("420700000008")
    clock.advance(60)
    desk.reply(session_id)
    clock.advance(3600)
    desk.tick()
    assert desk.session(session_id)["sla"]["resolution"]["status"] == "paused"


def test_the_customer_writing_again_resumes_resolution_with_what_was_left(desk: Desk) -> None:
    desk.policy(channel_id="wa-demo", **TARGETS)
    session_id = desk.customer_writes("420700000009")
    clock.advance(60)
    desk.reply(session_id)
    clock.advance(3600)
    desk.customer_writes("420700000009", "Still there?")
    resolution = desk.session(session_id)["sla"]["resolution"]
    left = clock.parse_iso(resolution["due_at"]) - clock.parse_iso(resolution["started_at"])
    assert timedelta(seconds=1738) <= left <= timedelta(seconds=1741)


def test_resolve_stops_the_timers(desk: Desk) -> None:
    desk.policy(channel_id="wa-demo", **TARGETS)
    session_id = desk.customer_writes("420700000010")
    assert desk.api.call("POST", f"/sessions/{session_id}/resolve", {"outcome": "solved"}, token=desk.admin)[0] == 200
    desk.settle()
    clock.advance(3600)
    desk.tick()
    sla = desk.session(session_id)["sla"]
    assert (sla["first_response"]["status"], sla["resolution"]["status"]) == ("stopped", "met")


def test_business_hours_of_the_group_shift_the_due_time(desk: Desk) -> None:
    today = clock.now().date()
    hours = {"time_zone": "UTC",
             "weekly": {d: [{"from": "00:00", "to": "24:00"}] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
             "holidays": [str(today), str(today + timedelta(days=1))]}
    group = desk.team.group("Support", business_hours=hours)
    desk.team.rules([], default_group_id=group["group_id"])
    desk.policy(group_id=group["group_id"], **TARGETS)
    session_id = desk.customer_writes("420700000011")
    due = desk.session(session_id)["sla"]["first_response"]["due_at"]
    assert clock.parse_iso(due) == clock.parse_iso(f"{today + timedelta(days=2)}T00:05:00Z")


def test_a_session_without_a_policy_has_no_timers(desk: Desk) -> None:
    session_id = desk.customer_writes("420700000012")
    assert desk.session(session_id)["sla"] is None


def _sla_timers_invocations(desk: Desk) -> int:
    drain(function("contact_resolution"), desk.aws.queue_urls["inbound"])
    return event_rules.drain(function("sla_timers"), desk.team.rule_queues["sla_timers"])


def test_a_blocked_senders_message_does_not_invoke_the_sla_timers(desk: Desk) -> None:
    # Filtered bus rules (docs/cold-start-and-cost.md): sla_timers' rule lets no suppressed message through
    desk.policy(channel_id="wa-demo", **TARGETS)
    session_id = desk.customer_writes("420700000091")
    contact_id = desk.session(session_id)["contact_id"]
    status, body = desk.api.call("POST", f"/contacts/{contact_id}/block", {"duration": "forever"}, token=desk.admin)
    assert status == 200, body
    desk.settle()
    customer_writes(desk.api, "420700000091", "still there?")
    assert _sla_timers_invocations(desk) == 0


def test_a_customers_message_still_invokes_the_sla_timers(desk: Desk) -> None:
    desk.policy(channel_id="wa-demo", **TARGETS)
    session_id = desk.customer_writes("420700000092")
    desk.reply(session_id)
    customer_writes(desk.api, "420700000092", "one more thing")
    assert _sla_timers_invocations(desk) == 1
