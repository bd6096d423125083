"""Business-hours arithmetic (crm_support_contracts.calendar, ADR 48), figures by hand: over a
night, a weekend, a holiday, a time-zone change, and both functions agreeing on random
instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from crm_support_contracts.calendar import (
    NoWorkingTime,
    WorkingCalendar,
    add_working,
    working_between,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

MADRID = ZoneInfo("Europe/Madrid")
# Monday to Friday 09:00-17:00 in Madrid, Christmas off.
DESK = WorkingCalendar(time_zone="Europe/Madrid", holidays=(date(2026, 12, 25),))
H = timedelta(hours=1)


def madrid(*args: int) -> datetime:
    return datetime(*args, tzinfo=MADRID)  # type: ignore[misc]


def test_time_within_a_day_adds_plainly() -> None:
    assert add_working(DESK, madrid(2026, 12, 1, 10), 3 * H) == madrid(2026, 12, 1, 13)


def test_over_a_night_the_rest_is_taken_from_the_next_opening() -> None:
    # Tuesday 15:00 + 4 h: 2 h on Tuesday, 2 h from Wednesday 09:00.
    assert add_working(DESK, madrid(2026, 12, 1, 15), 4 * H) == madrid(2026, 12, 2, 11)


def test_over_a_weekend() -> None:
    # Friday 16:00 + 2 h: 1 h on Friday, 1 h on Monday.
    assert add_working(DESK, madrid(2026, 12, 4, 16), 2 * H) == madrid(2026, 12, 7, 10)


def test_a_holiday_is_skipped_and_outside_hours_counts_from_the_opening() -> None:
    # Thursday 24th at 20:00 (closed) + 1 h: Friday 25th is Christmas, so Monday 28th 10:00.
    assert add_working(DESK, madrid(2026, 12, 24, 20), H) == madrid(2026, 12, 28, 10)
    assert working_between(DESK, madrid(2026, 12, 24, 16), madrid(2026, 12, 28, 10)) == 2 * H


def test_a_day_of_the_clock_change_works_the_hours_on_its_clock() -> None:
    # Madrid goes from +01:00 to +02:00 on Sunday 29 March 2026; a desk open every day.
    every_day = WorkingCalendar(time_zone="Europe/Madrid", days=(1, 2, 3, 4, 5, 6, 7))
    saturday_close = madrid(2026, 3, 28, 17)
    assert saturday_close.utcoffset() == H
    # 1 h left at Saturday's close: Sunday 10:00 local, i.e. 08:00 UTC (not 09:00).
    due = add_working(every_day, saturday_close, H)
    assert due == madrid(2026, 3, 29, 10)
    assert due.astimezone(UTC) == datetime(2026, 3, 29, 8, tzinfo=UTC)
    # The night is 16 h long on the clock and 15 h in fact: neither counts.
    assert working_between(every_day, saturday_close, due) == H


def test_a_desk_round_the_clock_counts_every_second() -> None:
    always = WorkingCalendar(days=(1, 2, 3, 4, 5, 6, 7), opens=time(0), closes=time(0))
    start = datetime(2026, 12, 5, 20, 30, tzinfo=UTC)  # a Saturday evening
    assert add_working(always, start, 30 * H) == start + 30 * H
    assert working_between(always, start, start + 30 * H) == 30 * H


def test_a_night_shift_is_refused_and_so_is_a_calendar_without_working_time() -> None:
    with pytest.raises(ValidationError, match="closes must come after opens"):
        WorkingCalendar(opens=time(22), closes=time(6))
    with pytest.raises(ValidationError, match="unknown time zone"):
        WorkingCalendar(time_zone="Mars/Olympus")
    # Only Sundays, every Sunday a holiday for years: no deadline, and it says why.
    sundays = [date(2026, 1, 4) + timedelta(weeks=n) for n in range(400)]
    never = WorkingCalendar(days=(7,), holidays=tuple(sundays))
    with pytest.raises(NoWorkingTime, match="give the calendar working days"):
        add_working(never, datetime(2026, 1, 1, tzinfo=UTC), H)


instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
spans = st.integers(min_value=0, max_value=200 * 3600).map(lambda s: timedelta(seconds=s))


@settings(max_examples=200, deadline=None)
@given(start=instants, amount=spans)
def test_the_working_time_between_a_start_and_its_due_is_what_was_added(
    start: datetime, amount: timedelta
) -> None:
    due = add_working(DESK, start, amount)
    assert due >= start
    assert working_between(DESK, start, due) == amount
    assert working_between(DESK, due, start) == -amount
