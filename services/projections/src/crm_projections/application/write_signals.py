"""Wakes readers that wait for a read-model document as soon as this instance writes it.

Read-your-writes would otherwise re-read the document in a tight loop, and every waiting
reader would load the store the projector writes to. The reader gets the document as it was
written, so it need not read it back. A reader served by an instance that does not project
the customer's partition is not woken; it re-reads after its fallback interval.

The last documents written are remembered too (a bounded LRU), so a reader that asks for a
write this instance has already projected need not read the store either. They are
forgotten whenever the instance's partitions or the active database change, and documents
are remembered only for customers this instance projects and never for merge survivors:
only then is this instance the sole writer of what it remembers.
They are kept as BSON, one object each: thousands of nested dicts made every full garbage
collection walk a quarter of a million objects, a pause of 100-200 ms at 100 commands/s.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import bson
from bson.codec_options import CodecOptions

Document = dict[str, Any]
AS_READ: CodecOptions[Document] = CodecOptions(tz_aware=True)  # as the read store's client


class Wake:
    """Set when a watched document is written; holds the documents as written."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.documents: dict[str, Document] = {}

    def set(self, id_: str, document: Document) -> None:
        self.documents[id_] = document
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def clear(self) -> None:
        self._event.clear()
        self.documents.clear()

    async def wait(self, timeout_s: float) -> bool:
        """Wait at most `timeout_s`; whether a watched document was written."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout_s)
        return self._event.is_set()


class WriteSignals:
    def __init__(
        self, remembered: int = 5_000, remember_if: Callable[[str], bool] = lambda id_: True
    ) -> None:
        self._waiting: defaultdict[str, set[Wake]] = defaultdict(set)
        self._last: OrderedDict[str, bytes] = OrderedDict()
        self._remembered = remembered
        self._remember_if = remember_if  # e.g. "this instance projects that customer"

    def notify(self, written: Mapping[str, Document]) -> None:
        for id_, document in written.items():
            if self._remember_if(id_) and not document.get("merged_from"):
                # A merge survivor is also written by the owners of the ids merged into it.
                self._last[id_] = bson.encode(document)
                self._last.move_to_end(id_)
            else:
                self._last.pop(id_, None)
            for wake in self._waiting.pop(id_, ()):
                wake.set(id_, document)
        while len(self._last) > self._remembered:
            self._last.popitem(last=False)

    def last_written(self, id_: str) -> Document | None:
        """The document as this instance last wrote it (as a read of the store would return
        it), if it still remembers it."""
        found = self._last.get(id_)
        return None if found is None else bson.decode(found, codec_options=AS_READ)

    def drop(self, ids: Iterable[str]) -> None:
        for id_ in ids:
            self._last.pop(id_, None)

    def forget(self) -> None:
        self._last.clear()

    @contextlib.contextmanager
    def watching(self, ids: Iterable[str]) -> Iterator[Wake]:
        """Set when any of `ids` is written. Enter it *before* reading the document, so a
        write between the read and the wait is not missed."""
        wake = Wake()
        watched = set(ids)
        for id_ in watched:
            self._waiting[id_].add(wake)
        try:
            yield wake
        finally:
            for id_ in watched:
                waiters = self._waiting.get(id_)
                if waiters is not None:
                    waiters.discard(wake)
                    if not waiters:
                        del self._waiting[id_]

    def rewatch(self, wake: Wake, ids: Iterable[str]) -> None:
        """Arm `wake` again after it was set, for a reader that goes on waiting. Call it
        before the next await, so that no write in between is missed."""
        wake.clear()
        for id_ in ids:
            self._waiting[id_].add(wake)

    @property
    def waiting(self) -> int:
        return len(self._waiting)
