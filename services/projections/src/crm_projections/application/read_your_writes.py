"""Read-your-writes: wait until the 360 view holds the caller's writes (ADR 9).

A reader of a customer this instance projects is handed the document by the projector as it
writes it; any other reader re-reads the store, ever less often, so waiting readers do not
crowd out the projectors' own reads and writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from crm_projections.application.customer_queries import current_document
from crm_projections.application.ports import CustomerDocuments, Ownership
from crm_projections.application.write_signals import WriteSignals

Document = dict[str, Any]
# Re-reads between these intervals when no local write wakes the reader.
REREAD_MIN_S, REREAD_MAX_S = 0.1, 2.0
Wanted = list[tuple[str, int]]  # (stream id, version) pairs the document must hold


class NotCaughtUp(TimeoutError):
    """The deadline passed before the document held every wanted version."""


def _caught_up(wanted: Wanted) -> Callable[[Document | None], bool]:
    def caught_up(document: Document | None) -> bool:
        applied = (document or {}).get("applied", {})
        return all(applied.get(stream, 0) >= version for stream, version in wanted)

    return caught_up


class ReadYourWrites:
    def __init__(
        self, customers: CustomerDocuments, signals: WriteSignals, ownership: Ownership
    ) -> None:
        self._customers = customers
        self._signals = signals
        self._ownership = ownership

    async def document(
        self, asked: str, wanted: Wanted, wait_s: float
    ) -> tuple[str, Document | None]:
        """The surviving id and its document once it holds `wanted` (at once without any);
        NotCaughtUp after `wait_s`."""
        deadline = time.monotonic() + wait_s
        caught_up = _caught_up(wanted)
        survivor, pause = asked, REREAD_MIN_S
        handed: Document | None = None
        if wanted and self._ownership.projects(asked):
            handed = await self._written_here(asked, caught_up, deadline)
        while True:
            # Watch before reading, so a write in between is not missed.
            with self._signals.watching({asked, survivor}) as written:
                if handed is not None and not handed.get("tombstone") and caught_up(handed):
                    return survivor, handed  # as this instance's projector just stored it
                found, document = await current_document(self._customers, asked)
                if caught_up(document):
                    return found, document
                if found != survivor:
                    survivor = found  # merged: watch the survivor as well, then read again
                    continue
                left = deadline - time.monotonic()
                if left <= 0:
                    raise NotCaughtUp()
                if survivor == asked and self._ownership.projects(asked):
                    # This instance's projector writes it and wakes us: no re-reads needed,
                    # bar a late one in case a rebalance moves the partition away meanwhile.
                    await written.wait(min(left, REREAD_MAX_S))
                else:
                    # Another instance may write it (a merged customer's document is written
                    # by the owners of every id merged into it): re-read, ever less often.
                    await written.wait(min(left, pause))
                    pause = min(pause * 2, REREAD_MAX_S)
                handed = written.documents.get(survivor)

    async def _written_here(
        self, asked: str, caught_up: Callable[[Document | None], bool], deadline: float
    ) -> Document | None:
        """For a customer this instance projects, read-your-writes from the projector's
        hands: the document as it last wrote it (from memory, or one store read when memory
        no longer holds it), then each document it writes, until one satisfies the reader.
        It never reads the store again while it waits: with a backlog, readers re-reading
        every few seconds took a quarter of the store's time from the projector, which then
        fell further behind. None when the reader must go the general way: the partition
        moved to another instance, the customer was merged, or the deadline passed."""
        watched = {asked}
        with self._signals.watching(watched) as written:
            document = self._signals.last_written(asked)
            if document is None:
                found, document = await current_document(self._customers, asked)
                if found != asked:
                    return None  # merged: its survivor may be written elsewhere
            while not caught_up(document):
                left = deadline - time.monotonic()
                if left <= 0 or not self._ownership.projects(asked):
                    return None
                # Woken by each write of this customer; the cap only re-checks ownership.
                if await written.wait(min(left, REREAD_MAX_S)):
                    document = written.documents.get(asked)
                    self._signals.rewatch(written, watched)
            return None if document is None or document.get("tombstone") else document
