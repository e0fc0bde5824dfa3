"""When a campaign goes out: once at a time (``at``) or on a cron expression, in a time zone, written the
way EventBridge Scheduler takes them: ``at(2026-12-01T09:00:00)`` and ``cron(0 9 ? * MON-FRI *)`` (minutes,
hours, day of month, month, day of week 1-7 = SUN-SAT, year), with ``ScheduleExpressionTimezone``.

The same parser validates an operator's cron expression (before AWS would refuse it) and lets the local
runtime's scheduler compute when a schedule fires next."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from switchboard.errors import InvalidInput

_MONTHS = {name: i for i, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
_DAYS = {name: i for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_SEARCH_DAYS = 366 * 5


def zone(name: str, field: str = "schedule.time_zone") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone '{name}'", field=field) from exc


def at_expression(moment: datetime, time_zone: str) -> str:
    """EventBridge's one-time expression: the wall-clock time in ``time_zone``, to the second."""
    local = moment.astimezone(zone(time_zone))
    return f"at({local.strftime('%Y-%m-%dT%H:%M:%S')})"


def parse_at(expression: str, time_zone: str) -> datetime:
    """The UTC moment of an ``at(...)`` expression read in ``time_zone``."""
    match = _AT.match(expression.strip())
    if not match:
        raise InvalidInput("expected at(yyyy-mm-ddThh:mm:ss)", field="schedule.at")
    local = datetime.fromisoformat(match.group(1)).replace(tzinfo=zone(time_zone))
    return local.astimezone(UTC)


def _values(part: str, low: int, high: int, names: dict[str, int], field: str) -> frozenset[int]:
    if part in ("*", "?"):
        return frozenset(range(low, high + 1))
    found: set[int] = set()
    for piece in part.split(","):
        step = 1
        if "/" in piece:
            piece, step_text = piece.split("/", 1)
            if not step_text.isdigit() or int(step_text) < 1:
                raise InvalidInput(f"bad step in '{part}'", field=field)
            step = int(step_text)
        if piece in ("*", ""):
            start, end = low, high
        elif "-" in piece:
            first, last = piece.split("-", 1)
            start, end = _number(first, names, field), _number(last, names, field)
        else:
            start = _number(piece, names, field)
            end = high if step > 1 else start
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise InvalidInput(f"'{part}' is outside {low}-{high}", field=field)
        found.update(range(start, end + 1, step))
    return frozenset(found)


def _number(text: str, names: dict[str, int], field: str) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        raise InvalidInput(f"'{text}' is not supported here (numbers, names, *, ?, ranges, lists and steps "
                           "are)", field=field)
    return int(text)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None  # None: "?" (any day of the month)
    months: frozenset[int]
    weekdays: frozenset[int] | None  # 1 = Sunday; None: "?"
    years: frozenset[int]

    @classmethod
    def parse(cls, expression: str, field: str = "schedule.cron") -> Cron:
        match = _CRON.match(expression.strip())
        if not match:
            raise InvalidInput("expected cron(minutes hours day-of-month month day-of-week year)", field=field)
        parts = match.group(1).split()
        if len(parts) != 6:
            raise InvalidInput("a cron expression has six fields: minutes hours day-of-month month "
                               "day-of-week year", field=field)
        minute, hour, dom, month, dow, year = parts
        if (dom == "?") == (dow == "?"):
            raise InvalidInput("exactly one of day-of-month and day-of-week must be '?'", field=field)
        return cls(
            minutes=_values(minute, 0, 59, {}, field), hours=_values(hour, 0, 23, {}, field),
            days=None if dom == "?" else _values(dom, 1, 31, {}, field),
            months=_values(month, 1, 12, _MONTHS, field),
            weekdays=None if dow == "?" else _values(dow, 1, 7, _DAYS, field),
            years=_values(year, 1970, 2199, {}, field))

    def _day_matches(self, day: date) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        if self.days is not None:
            return day.day in self.days
        assert self.weekdays is not None
        return (day.isoweekday() % 7) + 1 in self.weekdays  # isoweekday: Monday 1 .. Sunday 7

    def next_after(self, moment: datetime, time_zone: str) -> datetime | None:
        """The first firing strictly after ``moment`` (UTC), or None within five years."""
        tz = zone(time_zone)
        local = moment.astimezone(tz)
        day = local.date()
        for _ in range(_SEARCH_DAYS):
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)
                        if candidate > moment:
                            return candidate
            day += timedelta(days=1)
        return None


def next_fire(expression: str, time_zone: str, after: datetime) -> datetime | None:
    """When an ``at(...)`` or ``cron(...)`` expression fires next after ``after`` (None: never again)."""
    if expression.startswith("at("):
        moment = parse_at(expression, time_zone)
        return moment if moment > after else None
    return Cron.parse(expression).next_after(after, time_zone)
