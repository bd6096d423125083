"""The blue/green rebuild's orchestration with fakes: checks, flush and switch once caught
up, and readers switched back when the rebuild fails after the switch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from crm_kernel.domain.envelope import EventEnvelope
from crm_projections.adapters.kafka_replay import ReplayProgress
from crm_projections.application import rebuild
from crm_projections.application.rebuild import BatchHandler, Between, Target


class FakeDatabases:
    def __init__(self, live: str = "projections", full: tuple[str, ...] = ()) -> None:
        self.base = "projections"
        self.live_name = live
        self.full = set(full)
        self.dropped: list[str] = []
        self.switches: list[str] = []

    async def live(self) -> str:
        return self.live_name

    async def switch(self, database: str) -> str:
        previous, self.live_name = self.live_name, database
        self.switches.append(database)
        return previous

    async def is_empty(self, database: str) -> bool:
        return database not in self.full

    async def drop(self, database: str) -> None:
        self.dropped.append(database)

    async def drop_read_models(self, database: str) -> None:
        self.dropped.append(f"read models of {database}")


class Buffer:
    def __init__(self) -> None:
        self.flushed = 0

    async def flush(self) -> None:
        self.flushed += 1


async def nothing(envelopes: list[EventEnvelope]) -> None:
    return None


def opener(buffer: Buffer, opened: list[str]) -> Callable[[str], Awaitable[Target]]:
    async def open_target(name: str) -> Target:
        opened.append(name)
        return Target(handle=nothing, buffers=[buffer])

    return open_target


async def caught_up(handle: BatchHandler, between: Between) -> ReplayProgress:
    await between()
    return ReplayProgress(total=3, done=3)


async def test_a_rebuild_flushes_and_switches_once_caught_up() -> None:
    databases, buffer, opened = FakeDatabases(), Buffer(), []
    progress = await rebuild.rebuild(
        databases,
        "projections_new",
        open_target=opener(buffer, opened),
        replay=caught_up,
        switch=True,
        settle_s=0,
    )
    assert progress.done == 3
    assert opened == ["projections_new"]
    assert buffer.flushed == 1
    assert databases.live_name == "projections_new"


async def test_a_rebuild_without_switch_leaves_readers_where_they_are() -> None:
    databases, buffer = FakeDatabases(), Buffer()
    await rebuild.rebuild(
        databases, "x", open_target=opener(buffer, []), replay=caught_up, switch=False
    )
    assert buffer.flushed == 1
    assert databases.switches == []


async def test_a_rebuild_that_fails_after_the_switch_switches_readers_back() -> None:
    databases, said = FakeDatabases(), []

    async def fails_after_switch(handle: BatchHandler, between: Between) -> ReplayProgress:
        await between()
        raise RuntimeError("broker gone")

    with pytest.raises(RuntimeError, match="broker gone"):
        await rebuild.rebuild(
            databases,
            "projections_new",
            open_target=opener(Buffer(), []),
            replay=fails_after_switch,
            switch=True,
            say=said.append,
            settle_s=0,
        )
    assert databases.switches == ["projections_new", "projections"]
    assert said[-1] == "rebuild failed: readers switched back to projections"


@pytest.mark.parametrize(
    ("databases", "message"),
    [
        (FakeDatabases(live="target"), "target is the live database"),
        (FakeDatabases(full=("target",)), "database target is not empty"),
    ],
)
async def test_a_rebuild_refuses_the_live_or_a_full_database(
    databases: FakeDatabases, message: str
) -> None:
    opened: list[str] = []
    with pytest.raises(ValueError, match=message):
        await rebuild.rebuild(
            databases, "target", open_target=opener(Buffer(), opened), replay=caught_up, switch=True
        )
    assert opened == []


async def test_drop_keeps_the_live_database_and_the_base_pointer() -> None:
    databases = FakeDatabases(live="projections_a")
    with pytest.raises(ValueError, match="projections_a is live"):
        await rebuild.drop(databases, "projections_a")
    assert await rebuild.drop(databases, "projections_b") == "dropped projections_b"
    said = await rebuild.drop(databases, "projections")
    assert said.startswith("dropped the read models of projections")
    assert databases.dropped == ["projections_b", "read models of projections"]
