"""Replay: fold the event topics from the beginning into a read-model database (Kafka side).

The rebuild reads every partition by itself (no consumer group, no commits) up to the end
offsets it saw when it started, through the same decoding and the same folds as the live
projector. Blue/green: after the rebuild the pointer is switched and the rebuild reads on to
the end once more, so nothing the live projector wrote to the old database is missing from
the new one (every fold is idempotent, so the overlap changes nothing).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from crm_kernel.adapters.kafka_security import client_options
from crm_kernel.adapters.kafka_subscriber import RetryPolicy, process_records
from crm_kernel.adapters.kafka_topics import EVENT_TOPICS, partitions_of
from crm_kernel.domain.envelope import EventEnvelope

log = structlog.get_logger(__name__)


@dataclass
class ReplayProgress:
    """What a progress bar shows: events done, events to go, the rate so far."""

    total: int
    done: int = 0
    started: float = field(default_factory=time.monotonic)
    malformed: int = 0

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def lag(self) -> int:
        return max(0, self.total - self.done)


class CountMalformed:
    """The live projector dead-lettered these already; a replay only counts them."""

    def __init__(self, progress: ReplayProgress) -> None:
        self._progress = progress

    async def send(self, record: ConsumerRecord[Any, Any], reason: str) -> None:
        self._progress.malformed += 1


async def replay(
    bootstrap: str,
    handle: Callable[[list[EventEnvelope]], Awaitable[None]],
    *,
    on_progress: Callable[[ReplayProgress], None] = lambda _: None,
    between: Callable[[], Awaitable[None]] | None = None,
    read_on: bool = False,
    batch_size: int = 2000,
) -> ReplayProgress:
    """Fold every event up to the current end of the topics, then run `between`. With
    `read_on`, read on to the new end after it (the blue/green switch happens in between)."""
    partitions = await partitions_of(bootstrap, list(EVENT_TOPICS))
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        **client_options(),
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        progress = ReplayProgress(total=sum(ends.values()))
        await _read_to(consumer, ends, handle, progress, on_progress, batch_size)
        if between is not None:
            await between()
        if read_on:
            ends = await consumer.end_offsets(partitions)
            positions = [await consumer.position(tp) for tp in partitions]
            progress.total = progress.done + sum(
                max(0, ends[tp] - at) for tp, at in zip(partitions, positions, strict=True)
            )
            await _read_to(consumer, ends, handle, progress, on_progress, batch_size)
        return progress
    finally:
        await consumer.stop()


async def _read_to(
    consumer: AIOKafkaConsumer,
    ends: dict[TopicPartition, int],
    handle: Callable[[list[EventEnvelope]], Awaitable[None]],
    progress: ReplayProgress,
    on_progress: Callable[[ReplayProgress], None],
    batch_size: int,
) -> None:
    sink = CountMalformed(progress)
    while True:
        remaining = [tp for tp, end in ends.items() if await consumer.position(tp) < end]
        if not remaining:
            return
        fetched = await consumer.getmany(*remaining, timeout_ms=1000, max_records=batch_size)
        records = [r for tp, rs in fetched.items() for r in rs if r.offset < ends[tp]]
        if records:
            await process_records(records, handle, sink, RetryPolicy())
            progress.done += len(records)
            on_progress(progress)
        else:
            await asyncio.sleep(0)
