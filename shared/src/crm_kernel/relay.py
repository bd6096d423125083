"""The outbox relay: publishes commits that are stored but not yet on Kafka.

It selects by "not yet published", per stream in version order, never by a
global position: an append still in flight can hold a lower position than
one already visible, and a position cursor would skip it for good.
"""

from __future__ import annotations

import asyncio
import contextlib
from itertools import groupby

import structlog

from crm_kernel import metrics
from crm_kernel.eventstore import Commit, EventStore
from crm_kernel.publisher import EventPublisher

log = structlog.get_logger(__name__)


class Relay:
    def __init__(self, store: EventStore, publisher: EventPublisher) -> None:
        self._store = store
        self._publisher = publisher

    async def publish_appended(self, commit: Commit) -> int:
        """Publish a commit just appended, after any earlier commit of its stream still in the
        outbox. A stream's first commit has none before it, so the outbox is not read."""
        if commit.events[0].stream_version == 1:
            return await self._send([commit])
        return await self.publish_pending(commit.stream_id)

    async def publish_pending(self, stream_id: str | None = None, limit: int = 500) -> int:
        """Publish what is pending (for one stream, or all); returns the events sent."""
        commits = await self._store.unpublished(stream_id, limit)
        sent = 0
        for _, group in groupby(commits, key=lambda c: c.stream_id):
            sent += await self._send(list(group))
        return sent

    async def _send(self, stream_commits: list[Commit]) -> int:
        events = [e for c in stream_commits for e in c.events]
        await self._publisher.publish(events)
        await self._store.mark_published(stream_commits)
        metrics.EVENTS_PUBLISHED.inc(len(events))
        return len(events)

    async def run(self, interval_s: float, stop: asyncio.Event) -> None:
        """Sweep the outbox until `stop` is set, and once more on the way out (so a clean stop
        leaves no marker of a sent commit behind); errors are logged and retried next sweep."""
        while True:
            last = stop.is_set()  # a sweep that began before the stop may miss later sends
            try:
                while await self.publish_pending() > 0:
                    pass
            except Exception as error:
                log.warning("relay sweep failed, will retry", error=str(error))
            if last:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_s)
