"""Batched subscriber for projectors: at-least-once, bounded retries, dead-letter topic.

Offsets are committed only after the batch was written. A message that is
not a valid event goes to the dead-letter topic with the reason in its
headers, and the batch goes on. A batch whose write keeps failing is not
committed: the consumer seeks back and tries it again, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from aiokafka import ConsumerRebalanceListener, ConsumerRecord
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from crm_kernel import metrics, wire
from crm_kernel.adapters.kafka_watchdog import WatchedConsumer, watched_subscriber
from crm_kernel.domain.envelope import EventEnvelope, topic_for

log = structlog.get_logger(__name__)

BatchHandler = Callable[[list[EventEnvelope]], Awaitable[None]]


class DeadLetterSink(Protocol):
    async def send(self, record: ConsumerRecord[Any, Any], reason: str) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    first_delay_s: float = 0.2
    max_delay_s: float = 5.0
    # A write the store never answers must fail and be retried, not hold the partition for
    # good: all attempts together stay well inside Kafka's 300 s max.poll.interval.
    attempt_timeout_s: float = 30.0

    def delays(self) -> list[float]:
        return [min(self.first_delay_s * 2**n, self.max_delay_s) for n in range(self.attempts - 1)]


class KafkaDeadLetters:
    """`redact` rewrites the body of the copy: for topics whose bodies hold personal data in
    clear (ingest hand-offs, crm_kernel.adapters.kafka_handoff), so the copy does not."""

    def __init__(
        self,
        broker: KafkaBroker,
        topic: str,
        redact: Callable[[bytes | None], bytes] | None = None,
    ) -> None:
        self._broker = broker
        self.topic = topic
        self._redact = redact

    async def send(self, record: ConsumerRecord[Any, Any], reason: str) -> None:
        # A redacted copy keeps none of the sender's headers: they may be personal.
        headers = (
            {name: value.decode("utf-8", "replace") for name, value in record.headers or ()}
            if self._redact is None
            else {}
        )
        headers.update(
            {
                "dlt_reason": reason,
                "dlt_topic": record.topic,
                "dlt_partition": str(record.partition),
                "dlt_offset": str(record.offset),
            }
        )
        if self._redact is None:
            body, key = record.value or b"", record.key
        else:
            # The sender's key hashed: the sender can still match it, and it may be personal.
            key = hashlib.sha256(record.key).hexdigest().encode() if record.key else None
            body = self._redact(record.value)
        await self._broker.publish(body, self.topic, key=key, headers=headers)
        metrics.DEAD_LETTERS.labels(self.topic).inc()


class BatchHealth:
    """Whether batches get written. Readiness fails once they have failed for longer than
    `stall_after_s`, so a stuck projector is seen instead of answering "ready"."""

    def __init__(self, stall_after_s: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self._stall_after_s = stall_after_s
        self._clock = clock
        self._failing_since: float | None = None
        self._last_error = ""

    def written(self) -> None:
        self._failing_since = None

    def failed(self, error: str) -> None:
        if self._failing_since is None:
            self._failing_since = self._clock()
        self._last_error = error

    async def check(self) -> None:
        if self._failing_since is None:
            return
        failing_s = self._clock() - self._failing_since
        if failing_s > self._stall_after_s:
            raise RuntimeError(
                f"batches have failed for {failing_s:.0f} s (last: {self._last_error}): "
                "check the read store and the logs"
            )


async def process_records(
    records: Sequence[ConsumerRecord[Any, Any]],
    handler: BatchHandler,
    dead_letters: DeadLetterSink,
    retry: RetryPolicy,
    health: BatchHealth | None = None,
) -> None:
    """Decode, dead-letter what is not an event, then hand the rest to `handler` with retries."""
    envelopes = []
    for record in records:
        try:
            envelopes.append(wire.decode(record.headers, record.value))
        except wire.MalformedMessageError as error:
            log.warning(
                "dead-lettering a message",
                reason=str(error),
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
            )
            await dead_letters.send(record, str(error))
    if not envelopes:
        return
    health = health or BatchHealth()
    for delay in [*retry.delays(), None]:
        try:
            async with asyncio.timeout(retry.attempt_timeout_s):
                await handler(envelopes)
            health.written()
            return
        except Exception as error:
            health.failed(_describe(error))
            if delay is None:
                log.error(
                    "batch failed after retries; it will be redelivered", error=_describe(error)
                )
                raise
            log.warning("batch failed, retrying", error=_describe(error), delay_s=delay)
            await asyncio.sleep(delay)


def _describe(error: BaseException) -> str:
    """The causes, not just "unhandled errors in a TaskGroup", when handlers ran together."""
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in error.exceptions)
    return f"{type(error).__name__}: {error}"


def _raw_records(message: Any) -> Sequence[ConsumerRecord[Any, Any]]:
    raw = message.raw_message
    return raw if isinstance(raw, tuple | list) else (raw,)


@dataclass(frozen=True)
class Fetch:
    """How long the broker may hold a fetch: until `min_bytes` piled up or `max_wait_ms` went
    by, whichever comes first."""

    min_bytes: int = 1
    max_wait_ms: int = 500


PROMPT = Fetch()  # answered as soon as one record is there: for read models readers wait on
# For consumers no reader waits on (an index, a book, a hand-off between contexts): under load
# they wake about twice a second with a batch, not once per event with one, and commit as
# rarely; each wake-up costs a fetch, a decode and an offset commit (issue 9).
BACKGROUND = Fetch(min_bytes=64 * 1024, max_wait_ms=500)


def subscribe_batches(
    broker: KafkaBroker,
    *,
    topics: Sequence[str],
    group_id: str,
    handler: BatchHandler,
    dead_letters: DeadLetterSink,
    retry: RetryPolicy = RetryPolicy(),
    max_records: int = 500,
    listener: ConsumerRebalanceListener | None = None,
    fetch: Fetch = PROMPT,
    session_timeout_ms: int = 10_000,
    health: BatchHealth | None = None,
    stall_after_s: float = 30.0,
) -> WatchedConsumer:
    """Register a batch consumer on `broker`: commit after the handler returns, never before.
    `listener` hears which partitions this instance is assigned."""

    async def raw_body(message: Any) -> Any:
        # The kernel decodes records itself, so a bad body reaches the dead-letter path.
        return message.body

    consumer = watched_subscriber(
        broker,
        *topics,
        group_id=group_id,
        stall_after_s=stall_after_s,
        listener=listener,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=100,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        partition_assignment_strategy=(RangePartitionAssignor,),
        fetch_max_wait_ms=fetch.max_wait_ms,
        fetch_min_bytes=fetch.min_bytes,
        session_timeout_ms=session_timeout_ms,
        title=f"{group_id} projector",
    )

    async def on_batch(body: Any, message: KafkaMessage) -> None:
        with consumer.progress.handling():
            await process_records(_raw_records(message), handler, dead_letters, retry, health)

    consumer.handle_with(on_batch, decoder=raw_body)
    return consumer


def subscribe_in_background(
    broker: KafkaBroker,
    context: str,
    *,
    group_id: str,
    dead_letters: str,
    handler: BatchHandler,
    stall_after_s: float,
) -> WatchedConsumer:
    """A background consumer of `context`'s topic (a context's own, or another's published
    events), for what derives from those events and no reader waits on (the lead book, a
    timed policy's deadlines, what sales and support learn of contacts' customers): the broker
    batches for it (`BACKGROUND`, ADR 33), and an event it cannot take goes to `dead_letters`."""
    return subscribe_batches(
        broker,
        topics=[topic_for(context)],
        group_id=group_id,
        handler=handler,
        dead_letters=KafkaDeadLetters(broker, dead_letters),
        stall_after_s=stall_after_s,
        fetch=BACKGROUND,
    )
