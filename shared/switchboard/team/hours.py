"""Business hours: a weekly schedule in a time zone, plus holidays (whole local days closed)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Clock = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", description="HH:MM, local time")]


class Interval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: Clock = Field(alias="from")
    end: Clock = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.end <= self.start:
            raise ValueError("'to' must be after 'from'")
        return self


class BusinessHours(BaseModel):
    """``weekly``: open intervals per weekday (a day not named is closed); ``holidays``: closed dates."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    time_zone: str = Field(min_length=1, max_length=64, examples=["Europe/Prague"])
    weekly: dict[Day, list[Interval]] = Field(default_factory=dict)
    holidays: list[date] = Field(default_factory=list, max_length=366)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.time_zone))
        if local.date() in self.holidays:
            return False
        now = local.time().replace(second=0, microsecond=0)
        for interval in self.weekly.get(DAYS[local.weekday()], []):
            if _clock(interval.start) <= now < _clock(interval.end):
                return True
        return False

    def stored(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)


def _clock(text: str) -> time:
    return time(23, 59, 59) if text == "24:00" else time.fromisoformat(text)


def is_open(stored: dict | None, moment: datetime) -> bool | None:
    """Open, closed, or None when there are no hours (always open)."""
    if not stored:
        return None
    return BusinessHours.model_validate(stored).is_open(moment)
