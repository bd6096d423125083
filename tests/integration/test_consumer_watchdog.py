"""A batch consumer stuck without an error is restarted by its watchdog and resumes where its
group committed, on the real broker (ADR 24). The stall is the one CI met after a broker was
killed: the offset commit after a batch never returns."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from crm_kernel import wire
from crm_kernel.adapters.kafka_publisher import new_broker
from crm_kernel.adapters.kafka_subscriber import Fetch, subscribe_batches
from crm_kernel.adapters.kafka_topics import ensure_topics, records_behind
from crm_kernel.adapters.kafka_watchdog import ConsumerWatchdog, kafka_lag_probe
from crm_kernel.domain.envelope import EventEnvelope
from crm_local.synthetic import registered

from tests.conftest import InfraAddresses
from tests.support import wait_for

T0 = datetime(2026, 1, 5, tzinfo=UTC)


class NoDeadLetters:
    async def send(self, record: Any, reason: str) -> None:
        raise AssertionError(f"nothing here is malformed: {reason}")


async def send(bootstrap: str, topic: str, customers: list[str]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for n, cid in enumerate(customers):
            message = wire.encode(registered(cid, n, "w", T0)[0])
            await producer.send_and_wait(
                topic, message.value, key=message.key, headers=message.headers
            )
    finally:
        await producer.stop()


async def test_a_consumer_whose_commit_never_returns_is_restarted_and_delivers_the_rest(
    infra: InfraAddresses,
) -> None:
    run = uuid.uuid4().hex[:8]
    topic, group = f"crm.watchdog{run}.events", f"watchdog-{run}"
    await ensure_topics(infra.kafka_bootstrap, [topic], 1)
    seen: set[str] = set()

    async def handler(envelopes: list[EventEnvelope]) -> None:
        seen.update(e.key for e in envelopes)

    broker = new_broker(infra.kafka_bootstrap, client_id=f"crm-{group}")
    consumer = subscribe_batches(
        broker,
        topics=[topic],
        group_id=group,
        handler=handler,
        dead_letters=NoDeadLetters(),
        fetch=Fetch(max_wait_ms=10),
        stall_after_s=2,
    )
    watchdog = ConsumerWatchdog(
        consumer.subscriber,
        consumer.progress,
        group,
        kafka_lag_probe(infra.kafka_bootstrap),
        check_every_s=0.5,
    )
    first, jammed, later = ([str(uuid.uuid4()) for _ in range(5)] for _ in range(3))
    await broker.start()
    try:
        async with watchdog.watching():
            await send(infra.kafka_bootstrap, topic, first)
            await wait_for(lambda: _has(seen, first), 30, "the first records delivered")
            await wait_for(lambda: _caught_up(infra, group, consumer), 30, "first committed")

            async def never_returns(*_: Any) -> None:
                await asyncio.Event().wait()

            consumer.subscriber.consumer.commit = never_returns  # the stall CI met
            await send(infra.kafka_bootstrap, topic, jammed)
            await wait_for(lambda: _has(seen, jammed), 30, "the jammed batch handled")
            await send(infra.kafka_bootstrap, topic, later)
            await wait_for(lambda: _has(seen, later), 90, "records after the stall delivered")
            await wait_for(lambda: _caught_up(infra, group, consumer), 30, "all committed")
            assert watchdog.restarts == 1
            assert "records behind" in watchdog.stalled
            await watchdog.check()  # it delivered again: ready
    finally:
        await broker.stop()


async def _has(seen: set[str], keys: list[str]) -> bool:
    return seen.issuperset(keys)


async def _caught_up(infra: InfraAddresses, group: str, consumer: Any) -> bool:
    assigned = consumer.progress.assigned
    return bool(assigned) and await records_behind(infra.kafka_bootstrap, group, assigned) == 0
