"""The outbox relay: publishes commits that are stored but not yet on Kafka.

It selects by "not yet published", per stream in version order, never by a
global position: an append still in flight can hold a lower position than
one already visible, and a position cursor would skip it for good.

A command's answer waits for its own publish at most `publish_timeout_s`: past it, the publish
goes on in the background, and if it fails the sweep sends the commit later. Both paths send a
stream under that stream's lock: the sweep leaves a stream whose in-request publish is under
way, and neither sends again a commit this relay has just sent (the sweep's list may predate
the send). Without faults, nothing is sent twice; a crash or a lost acknowledgement still can.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from itertools import groupby

import structlog
from aiokafka.errors import MessageSizeTooLargeError, RecordTooLargeError

from crm_kernel import metrics
from crm_kernel.ports.eventstore import Commit, EventStore
from crm_kernel.ports.publisher import EventPublisher

log = structlog.get_logger(__name__)
# A commit the broker refuses for what it is, not for being unreachable: retried seldom.
UNPUBLISHABLE = (MessageSizeTooLargeError, RecordTooLargeError)
PARK_S = 60.0


class _StreamLocks:
    """One lock per stream being sent, dropped when nobody holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def busy(self, stream_id: str) -> bool:
        return stream_id in self._locks

    @contextlib.asynccontextmanager
    async def hold(self, stream_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(stream_id, (None, 0))
        lock = lock or asyncio.Lock()
        self._locks[stream_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[stream_id]
            if users == 1:
                del self._locks[stream_id]
            else:
                self._locks[stream_id] = (lock, users - 1)


class Relay:
    def __init__(
        self,
        store: EventStore,
        publisher: EventPublisher,
        publish_timeout_s: float = 1.0,
        remembered: int = 10_000,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._timeout = publish_timeout_s
        self._locks = _StreamLocks()
        # (commit id, attempt) of commits this relay sent lately: a sweep that listed one
        # before its in-request publish finished must not send it again.
        self._sent: OrderedDict[tuple[str, str], None] = OrderedDict()
        # The last version of each stream this relay sent lately. Every send carries the
        # stream's earlier pending commits first, so up to there the stream is on Kafka.
        self._sent_through: OrderedDict[str, int] = OrderedDict()
        self._remembered = remembered
        self._background: set[asyncio.Task[int]] = set()
        self._parked: dict[str, tuple[str, float]] = {}  # stream -> (why, since)

    async def publish_appended(self, commit: Commit) -> int:
        """Publish a commit just appended, after any earlier commit of its stream still in the
        outbox; returns the events sent. Waits at most `publish_timeout_s`: then returns 0 and
        the publish goes on in the background (the sweep retries it if it fails)."""
        task = asyncio.create_task(self._publish_appended(commit))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        done, _ = await asyncio.wait({task}, timeout=self._timeout)
        if task in done:
            return task.result()
        task.add_done_callback(_log_late_failure)
        log.warning(
            "Kafka did not acknowledge within the publish timeout: the command is answered, "
            "its events are stored and are sent when the broker answers",
            timeout_s=self._timeout,
        )
        return 0

    async def _publish_appended(self, commit: Commit) -> int:
        async with self._locks.hold(commit.stream_id):
            before = commit.events[0].stream_version - 1
            if before == 0 or self._sent_through.get(commit.stream_id) == before:
                # Nothing of the stream before this commit is left unsent (a first commit has
                # nothing before it; otherwise this relay sent up to it): the outbox is not
                # read. That read scans the outbox on a store without secondary indexes.
                return await self._send([commit])
            return await self._publish_stream(commit.stream_id)

    async def _publish_stream(self, stream_id: str, limit: int = 500) -> int:
        commits = await self._store.unpublished(stream_id, limit)
        return await self._send(commits)

    async def publish_pending(self, stream_id: str | None = None, limit: int = 500) -> int:
        """Publish what is pending (for one stream, or all); returns the events sent."""
        if stream_id is not None:
            async with self._locks.hold(stream_id):
                return await self._publish_stream(stream_id, limit)
        commits = await self._store.unpublished(None, limit, exclude=self._parked_now())
        sent = 0
        for stream, group in groupby(commits, key=lambda c: c.stream_id):
            if self._locks.busy(stream):
                continue  # its in-request publish sends it, and its earlier commits
            async with self._locks.hold(stream):
                try:
                    sent += await self._send(list(group))
                except UNPUBLISHABLE as error:
                    self._park(stream, error)
        return sent

    def _parked_now(self) -> set[str]:
        """Parked streams not yet due for another try."""
        now = time.monotonic()
        return {stream for stream, (_, since) in self._parked.items() if now - since < PARK_S}

    def _park(self, stream: str, error: Exception) -> None:
        """One stream whose commit the broker refuses must not hold up the others: it waits
        (its later commits behind it, version order kept), is tried again every PARK_S, and
        says why in the log and in `crm_relay_parked_streams`."""
        reason = f"{type(error).__name__}: {error}"
        self._parked[stream] = (reason, time.monotonic())
        metrics.PARKED_STREAMS.set(len(self._parked))
        log.error("stream parked: the broker refuses its commit", stream=stream, reason=reason)

    async def _send(self, stream_commits: list[Commit]) -> int:
        """Send a stream's commits (in version order) but those this relay sent lately.
        Callers hold the stream's lock."""
        commits = [c for c in stream_commits if (c.commit_id, c.attempt) not in self._sent]
        if not commits:
            return 0
        events = [e for c in commits for e in c.events]
        await self._publisher.publish(events)
        await self._store.mark_published(commits)
        if self._parked.pop(commits[0].stream_id, None) is not None:
            metrics.PARKED_STREAMS.set(len(self._parked))
        for c in commits:
            self._sent[c.commit_id, c.attempt] = None
        stream = commits[-1].stream_id
        self._sent_through[stream] = max(commits[-1].version, self._sent_through.get(stream, 0))
        self._sent_through.move_to_end(stream)
        for remembered in (self._sent, self._sent_through):
            while len(remembered) > self._remembered:
                remembered.popitem(last=False)
        metrics.EVENTS_PUBLISHED.inc(len(events))
        return len(events)

    async def _drain(self) -> None:
        """Give in-request publishes still under way one more timeout, then stop them (their
        markers stay: the next start sends those commits)."""
        if self._background:
            _, late = await asyncio.wait(set(self._background), timeout=self._timeout)
            for task in late:
                task.cancel()

    async def run(self, interval_s: float, stop: asyncio.Event) -> None:
        """Sweep the outbox until `stop` is set, and once more on the way out (so a clean stop
        leaves no marker of a sent commit behind); errors are logged and retried next sweep."""
        while True:
            last = stop.is_set()  # a sweep that began before the stop may miss later sends
            if last:
                await self._drain()
            try:
                while await self.publish_pending() > 0:
                    pass
            except Exception as error:
                log.warning("relay sweep failed, will retry", error=str(error))
            if last:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_s)


def _log_late_failure(task: asyncio.Task[int]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.warning("background publish failed; the relay will retry", error=str(error))
