"""The consumer watchdog (ADR 24): when it looks, when it restarts, what readiness says."""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition
from crm_kernel.adapters.kafka_watchdog import (
    ConsumerProgress,
    ConsumerWatchdog,
    ProgressListener,
    Verdict,
)

PARTS = {TopicPartition("crm.contacts.events", 0), TopicPartition("crm.sales.events", 0)}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Subscriber:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def stop(self) -> None:
        self.calls.append("stop")

    async def start(self) -> None:
        self.calls.append("start")


def watched(behind: int = 0) -> tuple[Clock, ConsumerProgress, Subscriber, ConsumerWatchdog]:
    clock = Clock()
    progress = ConsumerProgress(stall_after_s=30, clock=clock)
    subscriber = Subscriber()

    async def lag(group: str, partitions: frozenset[TopicPartition]) -> int:
        assert group == "g" and partitions == frozenset(PARTS)
        return behind

    watchdog = ConsumerWatchdog(subscriber, progress, "g", lag, check_every_s=5, clock=clock)
    return clock, progress, subscriber, watchdog


async def advance(clock: Clock, watchdog: ConsumerWatchdog, seconds: float) -> None:
    """Time passes as it does for the running watchdog: a tick every check interval."""
    for _ in range(int(seconds / watchdog.check_every_s)):
        clock.now += watchdog.check_every_s
        await watchdog.tick()


def test_quiet_for_less_than_the_limit_is_fine_whatever_the_state() -> None:
    clock = Clock()
    progress = ConsumerProgress(stall_after_s=30, clock=clock)
    clock.now += 30
    assert progress.verdict() is Verdict.FINE


def test_after_the_limit_the_verdict_depends_on_membership_and_partitions() -> None:
    clock = Clock()
    progress = ConsumerProgress(stall_after_s=30, clock=clock)
    clock.now += 31
    assert progress.verdict() is Verdict.NOT_IN_GROUP
    progress.assigned_now(set())
    clock.now += 31
    assert progress.verdict() is Verdict.FINE  # a spare instance: nothing to deliver
    progress.assigned_now(PARTS)
    clock.now += 31
    assert progress.verdict() is Verdict.LOOK_AT_LAG
    progress.revoked()
    clock.now += 31
    assert progress.verdict() is Verdict.NOT_IN_GROUP


def test_a_batch_in_hand_is_never_quiet_however_long_it_takes() -> None:
    clock = Clock()
    progress = ConsumerProgress(stall_after_s=30, clock=clock)
    progress.assigned_now(PARTS)
    with progress.handling():
        clock.now += 300
        assert progress.verdict() is Verdict.FINE
    clock.now += 29
    assert progress.verdict() is Verdict.FINE
    assert progress.deliveries == 1


async def test_the_listener_feeds_the_progress_and_the_services_own_listener() -> None:
    heard: list[str] = []

    class Inner:
        async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
            heard.append(f"revoked {len(revoked)}")

        async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
            heard.append(f"assigned {len(assigned)}")

    progress = ConsumerProgress(stall_after_s=30)
    listener = ProgressListener(progress, Inner())  # type: ignore[arg-type]
    await listener.on_partitions_assigned(PARTS)
    assert progress.joined and progress.assigned == frozenset(PARTS)
    await listener.on_partitions_revoked(PARTS)
    assert not progress.joined and progress.assigned == frozenset()
    assert heard == ["assigned 2", "revoked 2"]


async def test_records_waiting_and_none_delivered_restart_the_consumer_once() -> None:
    clock, progress, subscriber, watchdog = watched(behind=12)
    progress.assigned_now(PARTS)
    await advance(clock, watchdog, 30)
    assert subscriber.calls == []
    await advance(clock, watchdog, 5)
    assert subscriber.calls == ["stop", "start"]
    assert watchdog.restarts == 1 and "12 records behind" in watchdog.stalled
    with pytest.raises(RuntimeError, match="stalled: 12 records behind"):
        await watchdog.check()
    # The fresh consumer rejoins and delivers: ready again, and no second restart.
    progress.assigned_now(PARTS)
    with progress.handling():
        pass
    await watchdog.check()
    await advance(clock, watchdog, 20)
    assert subscriber.calls == ["stop", "start"]


async def test_an_idle_consumer_that_is_caught_up_is_left_alone() -> None:
    clock, progress, subscriber, watchdog = watched(behind=0)
    progress.assigned_now(PARTS)
    await advance(clock, watchdog, 300)
    assert subscriber.calls == []
    await watchdog.check()


async def test_a_consumer_out_of_its_group_too_long_is_restarted_without_asking_the_broker() -> (
    None
):
    clock, progress, subscriber, watchdog = watched(behind=5)
    progress.assigned_now(PARTS)
    progress.revoked()
    await advance(clock, watchdog, 35)
    assert subscriber.calls == ["stop", "start"]
    assert "not in its group" in watchdog.stalled


async def test_a_paused_process_does_not_count_the_pause_as_quiet() -> None:
    clock, progress, subscriber, watchdog = watched(behind=40)
    progress.assigned_now(PARTS)
    await advance(clock, watchdog, 10)
    clock.now += 600  # SIGSTOP for ten minutes, then SIGCONT: the next tick comes late
    await watchdog.tick()
    assert subscriber.calls == []
    await advance(clock, watchdog, 35)
    assert subscriber.calls == ["stop", "start"]  # still stuck after the pause: restarted


async def test_a_stop_that_fails_still_starts_a_fresh_consumer() -> None:
    clock, progress, subscriber, watchdog = watched(behind=3)

    async def stuck_stop() -> None:
        raise TimeoutError("the old consumer did not leave")

    subscriber.stop = stuck_stop  # type: ignore[method-assign]
    progress.assigned_now(PARTS)
    await advance(clock, watchdog, 35)
    assert subscriber.calls == ["start"]


def test_every_group_consumer_of_the_platform_is_watched() -> None:
    """The projector, contacts' ingest and reader of sales' conversions, sales' lead book,
    ingest and reader of contacts' events: each has a watchdog that readiness consults."""
    from crm_contacts.bootstrap import create_service as contacts
    from crm_kernel.settings import ServiceSettings
    from crm_projections.bootstrap import create_service as projections
    from crm_sales.bootstrap import create_service as sales_service

    from tests.support import JWKS

    settings = ServiceSettings(auth_jwks=JWKS, consumer_stall_s=12)
    ingest = contacts(settings)
    assert [w.group for w in ingest.watchdogs] == [
        "crm-contacts-ingest",
        "crm-contacts-lead-conversions",
    ]
    assert ingest.watchdogs[0].progress.stall_after_s == 12
    assert ingest.watchdogs[0].check in ingest.readiness
    sales = sales_service(settings)
    assert [w.group for w in sales.watchdogs] == [
        "crm-sales-lead-book",
        "crm-sales-leads-ingest",
        "crm-sales-orders-ingest",
        "crm-sales-payment-reminders",
        "crm-sales-customer-points",
        "crm-sales-support-returns",
    ]
    assert all(w.check in sales.readiness for w in sales.watchdogs)
    projector = projections(settings)
    assert projector.watchdog.group == "crm-projections"
    assert projector.watchdog.progress.stall_after_s == 12
