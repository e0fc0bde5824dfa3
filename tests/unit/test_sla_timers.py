"""The SLA timers of one session as pure transitions (switchboard/sla/timers.py, docs/sla.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from switchboard import clock
from switchboard.sla.timers import Policy, Timers, running

POLICY = Policy("p1", {"first_response": 300, "next_response": 600, "resolution": 3600})
T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
PERIOD = clock.iso(T0)


def _timers(sla: dict | None = None) -> Timers:
    timers = Timers(sla, "s1", None)
    timers.attach(POLICY, PERIOD, T0)
    return timers


def _after(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_customer_message_starts_first_response_and_resolution() -> None:
    timers = _timers()
    timers.customer_message(POLICY, T0)
    assert running(timers.sla) == {"first_response": clock.iso(_after(300)), "resolution": clock.iso(_after(3600))}


def test_a_reply_in_time_meets_first_response_with_the_time_it_took() -> None:
    timers = _timers()
    timers.customer_message(POLICY, T0)
    timers.operator_reply(_after(120))
    assert (timers.sla["first_response"]["state"], timers.sla["first_response"]["elapsed_seconds"]) == ("met", 120)


def test_a_met_target_is_an_event() -> None:
    timers = _timers()
    timers.customer_message(POLICY, T0)
    timers.operator_reply(_after(120))
    assert [kind for kind, _ in timers.events] == ["session.sla_met"]


def test_the_due_time_breaches_a_running_target_once() -> None:
    timers = _timers()
    timers.customer_message(POLICY, T0)
    due = timers.sla["first_response"]["due_at"]
    timers.due("first_response", due, _after(300))
    timers.due("first_response", due, _after(301))
    assert [kind for kind, _ in timers.events] == ["session.sla_breached"]


def test_a_due_time_that_moved_breaches_nothing() -> None:
    timers = _timers()
    timers.customer_message(POLICY, T0)
    timers.due("first_response", clock.iso(_after(200)), _after(200))
    assert timers.sla["first_response"]["state"] == "active"


def test_resolution_pauses_while_awaiting_the_customer() -> None:
    timers = _timers()
    timers.customer_message(POLICY, T0)
    timers.operator_reply(_after(60))
    assert (timers.sla["resolution"]["state"], running(timers.sla)) == ("paused", {})


def test_a_paused_resolution_resumes_with_what_is_left() -> None:
    timers = _timers()
    timers.customer_message(POLICY, T0)
    timers.operator_reply(_after(60))
    timers.customer_message(POLICY, _after(7200))
    assert timers.sla["resolution"]["due_at"] == clock.iso(_after(7200 + 3600 - 60))


def test_the_customer_writing_after_a_reply_starts_next_response() -> None:
    timers = _timers()
    timers.customer_message(POLICY, T0)
    timers.operator_reply(_after(60))
    timers.customer_message(POLICY, _after(100))
    assert timers.sla["next_response"]["due_at"] == clock.iso(_after(700))


def test_a_second_customer_message_does_not_restart_next_response() -> None:
    timers = _timers()
    timers.customer_message(POLICY, T0)
    timers.operator_reply(_after(60))
    timers.customer_message(POLICY, _after(100))
    timers.customer_message(POLICY, _after(200))
    assert timers.sla["next_response"]["started_at"] == clock.iso(_after(100))


def test_resolve_stops_every_timer() -> None:
    timers = _timers()
    timers.customer_message(POLICY, T0)
    timers.resolved(_after(90))
    assert running(timers.sla) == {}


def test_resolve_meets_resolution_and_stops_an_unanswered_first_response() -> None:
    timers = _timers()
    timers.customer_message(POLICY, T0)
    timers.resolved(_after(90))
    assert (timers.sla["resolution"]["state"], timers.sla["first_response"]["state"]) == ("met", "stopped")


def test_no_reply_needed_stops_the_response_timer() -> None:
    timers = _timers()
    timers.customer_message(POLICY, T0)
    timers.no_reply_needed(_after(30))
    assert timers.sla["first_response"]["state"] == "stopped"


def test_a_group_policy_attached_later_retargets_from_the_start() -> None:
    timers = _timers()
    timers.customer_message(POLICY, T0)
    stricter = Policy("p2", {"first_response": 120, "resolution": 3600})
    timers.attach(stricter, PERIOD, _after(10))
    assert timers.sla["first_response"]["due_at"] == clock.iso(_after(120))


def test_a_first_policy_on_a_waiting_session_starts_from_the_wait() -> None:
    timers = Timers({}, "s1", None)
    timers.attach(POLICY, PERIOD, _after(30), waiting_since=T0)
    assert running(timers.sla)["first_response"] == clock.iso(_after(300))


def test_a_reopen_counts_resolution_again_from_zero_paused() -> None:
    timers = _timers()
    timers.customer_message(POLICY, T0)
    timers.resolved(_after(90))
    timers.reopened(POLICY, clock.iso(_after(1000)), _after(1000))
    assert (timers.sla["resolution"]["state"], timers.sla["resolution"]["counted_seconds"]) == ("paused", 0)
