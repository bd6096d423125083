"""The timeline as a rebuild writes it: behind the fold, and indexed once at the end.

A rebuild's new database has one writer and no reader until the switch (ADR 7), so the
replay need not wait for each batch's entries to be stored before it folds the next: one
write is kept in flight while the next batches are decoded and folded, which keeps the store
and the replay busy at the same time (on a store bound by one writer per database, that
overlap is the whole gain). The paging index is built after the last entry, in one pass, not
kept up to date entry by entry. `flush` (before the switch) writes what is left, builds the
index, and turns the write-behind off: from then on every batch is written before it returns,
as the live projector's are.
"""

from __future__ import annotations

import asyncio

from crm_kernel.domain.envelope import EventEnvelope

from crm_projections.adapters.timeline_store import TimelineStore

HIGH_WATER = 10_000  # entries waiting for the store before the replay waits for it


class WriteBehindTimeline:
    def __init__(self, store: TimelineStore, high_water: int = HIGH_WATER) -> None:
        self._store = store
        self._high_water = high_water
        self._pending: list[EventEnvelope] = []
        self._writing: asyncio.Task[None] | None = None
        self._taken = asyncio.Event()  # the writer took what was pending
        self._active = True

    async def add(self, envelopes: list[EventEnvelope]) -> None:
        if not self._active:
            await self._store.add(envelopes)
            return
        self._pending += envelopes
        await self._room()
        if self._writing is None and self._pending:
            self._writing = asyncio.create_task(self._drain())

    async def _room(self) -> None:
        """Wait while too many entries wait for the store; raise what a finished write raised
        (the rebuild fails)."""
        while self._writing is not None:
            if self._writing.done():
                await self._finish_write()
                return
            if len(self._pending) < self._high_water:
                return
            self._taken.clear()
            taken = asyncio.ensure_future(self._taken.wait())
            await asyncio.wait((self._writing, taken), return_when=asyncio.FIRST_COMPLETED)
            taken.cancel()

    async def _drain(self) -> None:
        # Takes what piled up while the last write was in flight, so the store never idles
        # between two writes waiting for the next batch's fold.
        while self._pending:
            batch, self._pending = self._pending, []
            self._taken.set()
            await self._store.add(batch)

    async def _finish_write(self) -> None:
        writing, self._writing = self._writing, None
        if writing is not None:
            await writing

    async def flush(self) -> None:
        await self._finish_write()
        await self._drain()
        await self._store.ensure_indexes()
        self._active = False

    async def close(self) -> None:
        """Stop a write still in flight (a failed rebuild drops what it wrote anyway)."""
        if self._writing is not None:
            self._writing.cancel()
            await asyncio.gather(self._writing, return_exceptions=True)
            self._writing = None
