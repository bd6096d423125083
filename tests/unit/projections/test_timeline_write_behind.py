"""A rebuild writes the timeline behind its fold (crm_projections.adapters
timeline_write_behind): every entry is stored by the flush, the index is built after the last
one, a failed write fails the rebuild, and after the flush each batch is written at once."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from crm_kernel.domain.envelope import EventEnvelope
from crm_projections.adapters.timeline_store import TimelineStore
from crm_projections.adapters.timeline_write_behind import WriteBehindTimeline


class SlowTimeline:
    """Records what reaches the store, one write at a time, each taking a little while."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.calls: list[Any] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._fail_on = fail_on

    async def add(self, envelopes: list[Any]) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.01)
        self.in_flight -= 1
        if self._fail_on is not None and len(self.calls) == self._fail_on:
            raise RuntimeError("store gone")
        self.calls.append(list(envelopes))

    async def ensure_indexes(self) -> None:
        self.calls.append("index")


def behind(store: SlowTimeline, high_water: int = 10_000) -> WriteBehindTimeline:
    return WriteBehindTimeline(cast(TimelineStore, store), high_water)


def entries(*names: str) -> list[EventEnvelope]:
    return cast(list[EventEnvelope], list(names))


async def test_every_entry_is_stored_by_the_flush_one_write_at_a_time_then_indexed() -> None:
    store = SlowTimeline()
    timeline = behind(store)
    for n in range(5):
        await timeline.add(entries(f"e{n}a", f"e{n}b"))
    assert store.calls == []  # the first write is still in flight: the fold went on
    await timeline.flush()
    written = [e for call in store.calls[:-1] for e in call]
    assert written == [f"e{n}{x}" for n in range(5) for x in "ab"]
    assert store.calls[-1] == "index" and store.most_in_flight == 1


async def test_after_the_flush_each_batch_is_written_before_add_returns() -> None:
    store = SlowTimeline()
    timeline = behind(store)
    await timeline.flush()
    await timeline.add(entries("late"))
    assert store.calls == ["index", ["late"]]


async def test_the_replay_waits_when_too_many_entries_wait_for_the_store() -> None:
    store = SlowTimeline()
    timeline = behind(store, high_water=3)
    await timeline.add(entries("a"))
    await asyncio.sleep(0)  # "a" in flight
    await timeline.add(entries("b", "c", "d"))  # three waiting: until the writer takes them
    assert store.calls == [["a"]] and store.in_flight == 1
    await timeline.flush()
    assert store.calls == [["a"], ["b", "c", "d"], "index"]


async def test_a_failed_write_fails_the_rebuild() -> None:
    timeline = behind(SlowTimeline(fail_on=0))
    await timeline.add(entries("a"))
    with pytest.raises(RuntimeError, match="store gone"):
        await timeline.flush()


async def test_closing_stops_a_write_in_flight() -> None:
    store = SlowTimeline()
    timeline = behind(store)
    await timeline.add(entries("a"))
    await timeline.close()
    await asyncio.sleep(0.02)
    assert store.calls == [] and store.in_flight == 0
