"""A team's working calendar and the arithmetic of business time on it (ADR 48).

Service levels count working time only: the days the team works, between its opening and
closing hours in its own time zone, less its holidays. Both functions are pure and exact to
the second; a working day is cut where the time zone's clock changes, so a day of 23 or 25
hours still works the hours on its clock.

Here, beside the events, because a case's SLA event carries the calendar it was set on (a
later change of the team's hours moves no deadline already given), and whoever reads those
events may want to count on it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

IsoWeekday = Annotated[int, Field(ge=1, le=7, strict=True)]  # 1 Monday ... 7 Sunday
# A deadline further away than this many calendar days is a configuration error (a calendar
# with almost no working time): it is refused rather than searched for ever.
HORIZON_DAYS = 3 * 366
MIDNIGHT = time(0)


class NoWorkingTime(ValueError):
    """A calendar with too little working time for a deadline."""


class WorkingCalendar(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    time_zone: str = Field(default="UTC", min_length=1, max_length=64, examples=["Europe/Madrid"])
    days: tuple[IsoWeekday, ...] = Field(
        default=(1, 2, 3, 4, 5), min_length=1, max_length=7, description="ISO weekdays, 1 Monday"
    )
    opens: time = Field(default=time(9), description="Local time the working day starts")
    closes: time = Field(
        default=time(17),
        description="Local time it ends, after `opens`; 00:00 is midnight at the day's end "
        "(opens 00:00, closes 00:00: round the clock)",
    )
    holidays: tuple[date, ...] = Field(default=(), max_length=400)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}: name an IANA zone") from error
        return value

    @field_validator("days", "holidays")
    @classmethod
    def _sorted_once(cls, value: tuple[object, ...]) -> tuple[object, ...]:
        return tuple(sorted(set(value)))  # type: ignore[type-var]

    @model_validator(mode="after")
    def _a_working_day(self) -> WorkingCalendar:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opens and closes are local times: leave the offset out")
        if self.closes <= self.opens and self.closes != MIDNIGHT:
            raise ValueError("closes must come after opens")
        return self

    def windows(
        self, since: datetime, until: datetime | None = None
    ) -> Iterator[tuple[datetime, datetime]]:
        """The working periods, as UTC instants, from the local day of `since` to that of
        `until` (None: on for HORIZON_DAYS, then NoWorkingTime: the calendar has too little
        working time for any deadline)."""
        zone = ZoneInfo(self.time_zone)
        day = since.astimezone(zone).date()
        last = None if until is None else until.astimezone(zone).date()
        holidays = set(self.holidays)
        for _ in range(HORIZON_DAYS) if last is None else itertools.count():
            if last is not None and day > last:
                return
            if day.isoweekday() in self.days and day not in holidays:
                start = datetime.combine(day, self.opens, zone).astimezone(UTC)
                ends = day + timedelta(days=1) if self.closes == MIDNIGHT else day
                end = datetime.combine(ends, self.closes, zone).astimezone(UTC)
                if end > start:  # not swallowed by a clock change
                    yield start, end
            day += timedelta(days=1)
        raise NoWorkingTime(
            f"no end of working time within {HORIZON_DAYS} days: give the calendar working days"
        )


def add_working(calendar: WorkingCalendar, start: datetime, amount: timedelta) -> datetime:
    """The instant `amount` of working time after `start` (an instant outside working hours
    counts from the next opening)."""
    if amount < timedelta(0):
        raise ValueError("a working time to add is never negative")
    left = amount
    for window_start, window_end in calendar.windows(start):
        if window_end <= start:
            continue
        begin = max(window_start, start)
        if begin + left <= window_end:
            return begin + left
        left -= window_end - begin
    raise AssertionError("windows() ends by raising")  # pragma: no cover


def working_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time from `start` to `end`; negative when `end` comes first."""
    if end < start:
        return -working_between(calendar, end, start)
    total = timedelta(0)
    for window_start, window_end in calendar.windows(start, until=end):
        overlap = min(window_end, end) - max(window_start, start)
        if overlap > timedelta(0):
            total += overlap
    return total
