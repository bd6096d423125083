"""Blue/green rebuild of the read models, and dropping an old database (ADR 7).

A rebuild replays every event into a new, empty database. Once it has caught up, readers
and the live projector are switched to it, and the replay reads on to the new end, so
nothing the live projector wrote to the old database meanwhile is missing. If anything
fails after the switch, readers go back: never a half-built database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from crm_kernel.domain.envelope import EventEnvelope

Progress = TypeVar("Progress")  # what the replay reports when done
BatchHandler = Callable[[list[EventEnvelope]], Awaitable[None]]
Between = Callable[[], Awaitable[None]]
# Replays the topics into `handle`, runs `between` once caught up (and reads on after it if
# the rebuild switches).
Replay = Callable[[BatchHandler, Between], Awaitable[Progress]]
SETTLE_S = 2.0  # longer than the pointer cache, so every writer moved on


class Databases(Protocol):
    """The read-model databases: the live one (named by a pointer in the base database)
    and the others kept beside it."""

    base: str

    async def live(self) -> str: ...

    async def switch(self, database: str) -> str:
        """Point readers and the live projector at `database`; the previous one."""
        ...

    async def is_empty(self, database: str) -> bool: ...

    async def drop(self, database: str) -> None: ...

    async def drop_read_models(self, database: str) -> None:
        """Drop the read-model collections of `database`, and nothing else."""
        ...


class WriteBehind(Protocol):
    async def flush(self) -> None: ...


@dataclass(frozen=True)
class Target:
    """A database opened for a rebuild: the batch handler that folds into it, and the
    write-behind buffers to flush before readers see it."""

    handle: BatchHandler
    buffers: Sequence[WriteBehind]


async def rebuild(
    databases: Databases,
    target: str,
    *,
    open_target: Callable[[str], Awaitable[Target]],
    replay: Replay[Progress],
    switch: bool,
    say: Callable[[str], None] = lambda message: None,
    settle_s: float = SETTLE_S,
) -> Progress:
    """Replay every event into `target`; with `switch`, make it the live database."""
    if target == await databases.live():
        raise ValueError(f"{target} is the live database: rebuild into a new one")
    if not await databases.is_empty(target):
        raise ValueError(f"database {target} is not empty: pick another name or drop it")
    opened = await open_target(target)
    previous: list[str] = []

    async def switch_over() -> None:
        for buffer in opened.buffers:
            await buffer.flush()
        if not switch:
            return
        previous.append(await databases.switch(target))
        say(f"readers switched from {previous[0]} to {target}; catching up")
        await asyncio.sleep(settle_s)

    try:
        return await replay(opened.handle, switch_over)
    except BaseException:
        if previous:  # never leave readers on a half-built database
            await databases.switch(previous[0])
            say(f"rebuild failed: readers switched back to {previous[0]}")
        raise


async def drop(databases: Databases, database: str) -> str:
    """Drop a read-model database that is not live; says what it dropped. The base database
    holds the pointer to the live one, so there only the read models go and the pointer stays
    (dropping it whole sent every reader back to an empty database: 404s, silently)."""
    if database == await databases.live():
        raise ValueError(f"{database} is live: switch to another one first")
    if database != databases.base:
        await databases.drop(database)
        return f"dropped {database}"
    await databases.drop_read_models(database)
    return f"dropped the read models of {databases.base}; it keeps the pointer to the live database"
