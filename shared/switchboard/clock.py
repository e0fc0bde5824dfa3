"""The one source of time. Tests and the local runtime move it; domain code never calls datetime.now()."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _offset


def advance(seconds: float) -> None:
    """Move the clock forward (the local runtime's dev endpoint and tests use this)."""
    global _offset
    _offset += timedelta(seconds=seconds)


def reset() -> None:
    global _offset
    _offset = timedelta(0)


def iso(moment: datetime) -> str:
    """Sortable ISO-8601 UTC with milliseconds: the form every stored timestamp takes."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def from_unix(seconds: str | int | float) -> datetime:
    return datetime.fromtimestamp(float(seconds), UTC)
