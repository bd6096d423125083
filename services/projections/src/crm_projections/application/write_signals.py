"""Wakes readers that wait for a read-model document as soon as this instance writes it.

Read-your-writes would otherwise re-read the document in a tight loop, and every waiting
reader would load the store the projector writes to. A reader served by an instance that does
not project the customer's partition is not woken; it re-reads after its fallback interval.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Iterable, Iterator


class WriteSignals:
    def __init__(self) -> None:
        self._waiting: defaultdict[str, set[asyncio.Event]] = defaultdict(set)

    def notify(self, ids: Iterable[str]) -> None:
        for id_ in ids:
            for event in self._waiting.pop(id_, ()):
                event.set()

    @contextlib.contextmanager
    def watching(self, ids: Iterable[str]) -> Iterator[asyncio.Event]:
        """An event set when any of `ids` is written. Enter it *before* reading the document,
        so a write between the read and the wait is not missed."""
        event = asyncio.Event()
        watched = set(ids)
        for id_ in watched:
            self._waiting[id_].add(event)
        try:
            yield event
        finally:
            for id_ in watched:
                waiters = self._waiting.get(id_)
                if waiters is not None:
                    waiters.discard(event)
                    if not waiters:
                        del self._waiting[id_]

    @property
    def waiting(self) -> int:
        return len(self._waiting)


async def woken(event: asyncio.Event, timeout_s: float) -> bool:
    """Wait for `event` at most `timeout_s`; whether it was set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout_s)
    return event.is_set()
