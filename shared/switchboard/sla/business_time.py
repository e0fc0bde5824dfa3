"""Time that counts toward a target: every second, or only the open seconds of business hours.

``hours`` is a group's (or channel's) stored business hours (team/hours.py): a weekly schedule in a time
zone, with holidays closed all day. No hours, or hours with no open interval at all, count every second."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from switchboard.team.hours import DAYS, BusinessHours

_MAX_DAYS = 400  # a target reaches past at most this many local days (a year of holidays included)


def _hours(stored: dict[str, Any] | None) -> BusinessHours | None:
    if not stored:
        return None
    hours = BusinessHours.model_validate(stored)
    return hours if any(hours.weekly.values()) else None


def _local(day: datetime, text: str, zone: ZoneInfo) -> datetime:
    if text == "24:00":
        return datetime.combine(day.date() + timedelta(days=1), time(0), zone)
    return datetime.combine(day.date(), time.fromisoformat(text), zone)


def _open_intervals(hours: BusinessHours, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The open intervals (UTC) from the local day of ``start`` on, in order."""
    zone = ZoneInfo(hours.time_zone)
    day = start.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    for _ in range(_MAX_DAYS):
        if day.date() not in hours.holidays:
            spans = sorted(hours.weekly.get(DAYS[day.weekday()], []), key=lambda i: i.start)
            for interval in spans:
                yield (_local(day, interval.start, zone).astimezone(start.tzinfo),
                       _local(day, interval.end, zone).astimezone(start.tzinfo))
        day = datetime.combine(day.date() + timedelta(days=1), time(0), zone)


def add(start: datetime, seconds: float, stored_hours: dict[str, Any] | None) -> datetime:
    """The moment ``seconds`` of counted time after ``start``, to the whole second (rounded up, so an
    EventBridge ``at()`` schedule, which has whole seconds, never fires before it)."""
    hours = _hours(stored_hours)
    if hours is None:
        due = start + timedelta(seconds=seconds)
    else:
        due = _add_open(hours, start, seconds)
    if due.microsecond:
        due = due.replace(microsecond=0) + timedelta(seconds=1)
    return due


def _add_open(hours: BusinessHours, start: datetime, seconds: float) -> datetime:
    left = seconds
    for opens, closes in _open_intervals(hours, start):
        if closes <= start:
            continue
        begin = max(opens, start)
        room = (closes - begin).total_seconds()
        if left <= room:
            return begin + timedelta(seconds=left)
        left -= room
    raise ValueError("business hours never open within a year")


def elapsed(start: datetime, end: datetime, stored_hours: dict[str, Any] | None) -> int:
    """Whole seconds of counted time between ``start`` and ``end`` (0 when end is not after start)."""
    if end <= start:
        return 0
    hours = _hours(stored_hours)
    if hours is None:
        return math.floor((end - start).total_seconds())
    total = 0.0
    for opens, closes in _open_intervals(hours, start):
        if opens >= end:
            break
        if closes <= start:
            continue
        total += (min(closes, end) - max(opens, start)).total_seconds()
    return math.floor(total)
