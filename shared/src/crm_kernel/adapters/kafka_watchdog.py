"""A watchdog for a group consumer: it restarts the consumer when records wait that it does not
deliver (ADR 24).

A consumer can stall without an error. Once, in CI, a projector whose offset commit was in
flight when the broker was killed never delivered another batch after the broker came back:
no error, no log line, readiness green, its group caught up never. The watchdog therefore
judges progress from the outside. `ConsumerProgress` (pure, clock injected) is fed by the
consumer's rebalance listener and its batches and says when to look; the shell then asks the
broker, with clients of its own, whether the consumer's partitions hold records past their
committed offsets, and if so stops the subscriber and starts it again (a fresh consumer,
which rejoins the group and resumes from the committed offsets: at least once, as always).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

import structlog
from aiokafka import ConsumerRebalanceListener, TopicPartition
from faststream.kafka import KafkaBroker

from crm_kernel import metrics
from crm_kernel.adapters.kafka_topics import records_behind

log = structlog.get_logger(__name__)


class Verdict(Enum):
    FINE = "fine"
    NOT_IN_GROUP = "not in the group"
    LOOK_AT_LAG = "partitions held, nothing delivered"


@dataclass
class ConsumerProgress:
    """What is known of one consumer without asking the broker: whether it is in its group,
    which partitions it holds, whether a batch is in hand, and since when nothing changed."""

    stall_after_s: float
    clock: Callable[[], float] = time.monotonic
    joined: bool = False
    assigned: frozenset[TopicPartition] = frozenset()
    in_hand: int = 0
    deliveries: int = 0
    since: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.since = self.clock()

    def revoked(self) -> None:
        self.joined, self.assigned = False, frozenset()
        self.since = self.clock()

    def assigned_now(self, partitions: set[TopicPartition]) -> None:
        self.joined, self.assigned = True, frozenset(partitions)
        self.since = self.clock()

    def moved(self) -> None:
        """Something happened that shows the consumer alive (or a pause ended: see `resumed`)."""
        self.since = self.clock()

    @contextlib.contextmanager
    def handling(self) -> Iterator[None]:
        self.in_hand += 1
        self.deliveries += 1
        self.moved()
        try:
            yield
        finally:
            self.in_hand -= 1
            self.moved()

    def quiet_s(self) -> float:
        return self.clock() - self.since

    def verdict(self) -> Verdict:
        """A batch in hand has bounds of its own (its retries and their timeouts); an instance
        that joined with no partitions is a spare one. Otherwise quiet for longer than
        `stall_after_s` means: not back in the group, or maybe stuck with records waiting."""
        if self.in_hand or self.quiet_s() <= self.stall_after_s:
            return Verdict.FINE
        if not self.joined:
            return Verdict.NOT_IN_GROUP
        return Verdict.LOOK_AT_LAG if self.assigned else Verdict.FINE


class ProgressListener(ConsumerRebalanceListener):  # type: ignore[misc]
    """Feeds rebalances into the progress, then hands them to the service's own listener."""

    def __init__(
        self, progress: ConsumerProgress, inner: ConsumerRebalanceListener | None = None
    ) -> None:
        self._progress = progress
        self._inner = inner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self._progress.revoked()
        if self._inner is not None:
            await self._inner.on_partitions_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._progress.assigned_now(assigned)
        if self._inner is not None:
            await self._inner.on_partitions_assigned(assigned)


@dataclass(frozen=True)
class WatchedConsumer:
    """A registered group consumer: its FastStream subscriber (which can be stopped and
    started again) and what is known of its progress."""

    subscriber: Any
    progress: ConsumerProgress
    group_id: str

    def handle_with(
        self, handler: Callable[..., Awaitable[None]], decoder: Callable[[Any], Awaitable[Any]]
    ) -> None:
        """Register the handler (FastStream's decorator, untyped, applied here once)."""
        self.subscriber(decoder=decoder)(handler)


def watched_subscriber(
    broker: KafkaBroker,
    *topics: str,
    group_id: str,
    stall_after_s: float,
    listener: ConsumerRebalanceListener | None = None,
    **options: Any,
) -> WatchedConsumer:
    """A FastStream group subscriber whose rebalances feed a `ConsumerProgress`; its handler
    reports each delivery with `progress.handling()`."""
    progress = ConsumerProgress(stall_after_s)
    subscriber = broker.subscriber(
        *topics, group_id=group_id, listener=ProgressListener(progress, listener), **options
    )
    return WatchedConsumer(subscriber=subscriber, progress=progress, group_id=group_id)


class Restartable(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


# How many records of the group's partitions lie past its committed offsets.
LagProbe = Callable[[str, frozenset[TopicPartition]], Awaitable[int]]


@dataclass
class ConsumerWatchdog:
    subscriber: Restartable
    progress: ConsumerProgress
    group: str
    lag_probe: LagProbe
    check_every_s: float = 5.0
    # FastStream waits up to 15 s for a batch in hand when a subscriber stops.
    restart_timeout_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    stalled: str = ""
    restarts: int = 0
    _deliveries_at_stall: int = 0
    _last_tick: float | None = None

    async def check(self) -> None:
        """Readiness: fails from a stall until the consumer delivers again or is found caught
        up."""
        if self.stalled and self.progress.deliveries == self._deliveries_at_stall:
            raise RuntimeError(f"the consumer of {self.group} stalled: {self.stalled}")

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self.run(), name=f"watchdog {self.group}")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self) -> None:
        """Look every `check_every_s` until cancelled."""
        while True:
            await asyncio.sleep(self.check_every_s)
            try:
                await self.tick()
            except Exception as error:  # the watchdog must outlive what it watches
                log.warning("consumer watchdog check failed", group=self.group, error=str(error))

    async def tick(self) -> None:
        now = self.clock()
        if self._last_tick is not None and now - self._last_tick > 3 * self.check_every_s:
            # The process was paused (SIGSTOP, a VM migration) or its loop starved: quiet
            # time measured across the pause says nothing of the consumer.
            self.progress.moved()
        self._last_tick = now
        verdict = self.progress.verdict()
        if verdict is Verdict.NOT_IN_GROUP:
            await self.restart(f"not in its group for {self.progress.quiet_s():.0f} s")
        elif verdict is Verdict.LOOK_AT_LAG:
            behind = await self.lag_probe(self.group, self.progress.assigned)
            if behind > 0:
                await self.restart(
                    f"{behind} records behind on its {len(self.progress.assigned)} partitions, "
                    f"none delivered for {self.progress.quiet_s():.0f} s"
                )
            else:
                self.stalled = ""
                self.progress.moved()  # caught up and idle: look again after a quiet spell

    async def restart(self, reason: str) -> None:
        self.stalled = reason
        self._deliveries_at_stall = self.progress.deliveries
        self.restarts += 1
        metrics.CONSUMER_RESTARTS.labels(self.group).inc()
        log.error("consumer stalled: restarting it", group=self.group, reason=reason)
        try:
            async with asyncio.timeout(self.restart_timeout_s):
                await self.subscriber.stop()
        except Exception as error:  # a stuck consumer may not stop cleanly: start anew anyway
            log.warning("stalled consumer did not stop cleanly", group=self.group, error=str(error))
        self.progress.revoked()
        async with asyncio.timeout(self.restart_timeout_s):
            await self.subscriber.start()


def watchdog_for(consumer: WatchedConsumer, bootstrap: str) -> ConsumerWatchdog:
    return ConsumerWatchdog(
        consumer.subscriber,
        consumer.progress,
        consumer.group_id,
        lag_probe=kafka_lag_probe(bootstrap),
    )


def kafka_lag_probe(bootstrap: str) -> LagProbe:
    async def probe(group: str, partitions: frozenset[TopicPartition]) -> int:
        return await records_behind(bootstrap, group, partitions)

    return probe
