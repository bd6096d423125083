"""A failing batch is logged with its causes, even when read models ran together."""

from __future__ import annotations

import asyncio

import pytest
import structlog
from aiokafka.structs import ConsumerRecord
from crm_kernel import wire
from crm_kernel.adapters.kafka_subscriber import BatchHealth, RetryPolicy, process_records

from tests.unit.projections.test_customer_360 import registered


class NoDeadLetters:
    async def send(self, record: ConsumerRecord, reason: str) -> None:  # type: ignore[type-arg]
        raise AssertionError(reason)


def record_of(envelope) -> ConsumerRecord:  # type: ignore[no-untyped-def,type-arg]
    message = wire.encode(envelope)
    return ConsumerRecord(
        topic="t",
        partition=0,
        offset=0,
        timestamp=0,
        timestamp_type=0,
        key=message.key,
        value=message.value,
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=0,
        headers=message.headers,
    )


async def test_the_causes_of_a_task_group_failure_are_logged() -> None:
    async def handler(_: object) -> None:
        raise ExceptionGroup("unhandled errors in a TaskGroup", [ValueError("store is down")])

    with structlog.testing.capture_logs() as logs, pytest.raises(ExceptionGroup):
        await process_records(
            [record_of(e) for e in registered()],
            handler,
            NoDeadLetters(),
            RetryPolicy(attempts=2, first_delay_s=0),
        )
    assert [entry["error"] for entry in logs] == ["ValueError: store is down"] * 2


async def test_a_write_the_store_never_answers_fails_and_is_retried() -> None:
    # A frozen store once held the projector for good: no client timeout, no retry.
    calls: list[int] = []

    async def handler(_: object) -> None:
        calls.append(1)
        if len(calls) == 1:
            await asyncio.Event().wait()  # never answers

    health = BatchHealth()
    await process_records(
        [record_of(e) for e in registered()],
        handler,
        NoDeadLetters(),
        RetryPolicy(attempts=2, first_delay_s=0, attempt_timeout_s=0.05),
        health,
    )
    assert len(calls) == 2
    await health.check()  # the retry wrote it: healthy again


async def test_readiness_fails_once_batches_have_failed_for_too_long() -> None:
    now = [0.0]
    health = BatchHealth(stall_after_s=30, clock=lambda: now[0])
    health.failed("NetworkTimeout: store")
    now[0] = 29
    await health.check()  # a short outage is retried, not reported
    now[0] = 31
    with pytest.raises(RuntimeError, match="failed for 31 s"):
        await health.check()
    health.written()
    await health.check()
