"""Commit positions without a shared counter: time-ordered, never repeated, after the stream's
previous commit."""

from __future__ import annotations

from crm_kernel.adapters.mongo_eventstore import CommitClock


def test_positions_follow_the_clock_in_microseconds() -> None:
    now = [1_700_000_000_000_000_000]
    clock = CommitClock(lambda: now[0])
    assert clock.next() == 1_700_000_000_000_000
    now[0] += 5_000
    assert clock.next() == 1_700_000_000_000_005


def test_positions_never_repeat_or_go_back_when_the_clock_does() -> None:
    now = [2_000_000_000]
    clock = CommitClock(lambda: now[0])
    first = clock.next()
    now[0] -= 1_000_000  # the wall clock stepped back
    assert [clock.next(), clock.next()] == [first + 1, first + 2]


def test_a_position_comes_after_the_streams_previous_commit() -> None:
    clock = CommitClock(lambda: 1_000)
    assert clock.next(after=5_000_000) == 5_000_001  # written by a process whose clock is ahead
