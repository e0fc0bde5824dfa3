"""Counted time: every second without hours; only the open seconds of business hours with them."""

from __future__ import annotations

from datetime import UTC, datetime

from switchboard.sla import business_time

PRAGUE_WEEKDAYS = {"time_zone": "Europe/Prague",
                   "weekly": {day: [{"from": "09:00", "to": "17:00"}] for day in ("mon", "tue", "wed", "thu", "fri")},
                   "holidays": ["2026-12-24"]}


def test_without_hours_every_second_counts() -> None:
    start = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    assert business_time.add(start, 3600, None) == datetime(2026, 12, 4, 16, 0, tzinfo=UTC)


def test_a_target_running_into_the_weekend_is_due_on_monday() -> None:
    # Friday 16:30 in Prague (15:30 UTC): 30 minutes left on Friday, the other 30 on Monday from 09:00.
    start = datetime(2026, 12, 4, 15, 30, tzinfo=UTC)
    assert business_time.add(start, 3600, PRAGUE_WEEKDAYS) == datetime(2026, 12, 7, 8, 30, tzinfo=UTC)


def test_a_message_outside_hours_starts_counting_when_they_open() -> None:
    start = datetime(2026, 12, 8, 5, 0, tzinfo=UTC)  # Tuesday 06:00 in Prague
    assert business_time.add(start, 600, PRAGUE_WEEKDAYS) == datetime(2026, 12, 8, 8, 10, tzinfo=UTC)


def test_a_holiday_counts_nothing() -> None:
    start = datetime(2026, 12, 23, 15, 0, tzinfo=UTC)  # Wednesday 16:00, the day before Christmas Eve
    assert business_time.add(start, 7200, PRAGUE_WEEKDAYS) == datetime(2026, 12, 25, 9, 0, tzinfo=UTC)


def test_elapsed_counts_only_open_seconds() -> None:
    friday_four = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    monday_ten = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert business_time.elapsed(friday_four, monday_ten, PRAGUE_WEEKDAYS) == 2 * 3600


def test_a_due_time_is_a_whole_second_never_before_the_target() -> None:
    start = datetime(2026, 12, 4, 15, 0, 0, 250_000, tzinfo=UTC)
    assert business_time.add(start, 60, None) == datetime(2026, 12, 4, 15, 1, 1, tzinfo=UTC)
