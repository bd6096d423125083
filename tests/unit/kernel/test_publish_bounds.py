"""Issue 9: a command's answer never waits on Kafka for long, and the relay's sweep and the
in-request publish do not both send the same commit."""

from __future__ import annotations

import asyncio
import time

from crm_contacts.domain.customer import RegisterCustomer, RenameCustomer, customer_decider
from crm_contacts_contracts.events import CustomerType, PartyKind
from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import EventEnvelope, Metadata
from crm_kernel.relay import Relay

from tests.fakes import InMemoryEventStore, InMemoryKeyStore, InMemoryPublisher


class GatedPublisher(InMemoryPublisher):
    """Acknowledges only once `gate` is set (a broker that does not answer until then)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.called = asyncio.Event()

    async def publish(self, envelopes: list[EventEnvelope]) -> None:
        self.called.set()
        await self.gate.wait()
        await super().publish(envelopes)


class SlowListing(InMemoryEventStore):
    """The sweep's read of the outbox takes a while (a store under load)."""

    def __init__(self) -> None:
        super().__init__()
        self.listed = asyncio.Event()
        self.release = asyncio.Event()

    async def unpublished(self, stream_id: str | None = None, limit: int = 500, exclude=()):
        pending = await super().unpublished(stream_id, limit, exclude)
        if stream_id is None:
            self.listed.set()
            await self.release.wait()
        return pending


def register(customer_id: str) -> RegisterCustomer:
    return RegisterCustomer(
        customer_id=customer_id,
        kind=PartyKind.PERSON,
        customer_type=CustomerType.CONSUMER,
        name="Ana",
    )


def commands(store, relay: Relay, keys: InMemoryKeyStore | None = None) -> CommandHandler:
    return CommandHandler(
        source="crm.contacts",
        decider=customer_decider,
        store=store,
        keys=keys or InMemoryKeyStore(),
        relay=relay,
    )


async def test_a_broker_that_does_not_answer_holds_a_command_no_longer_than_the_timeout() -> None:
    store, publisher = InMemoryEventStore(), GatedPublisher()
    relay = Relay(store, publisher, publish_timeout_s=0.2)
    started = time.monotonic()
    result = await asyncio.wait_for(
        commands(store, relay).handle("customer-c1", register("c1"), Metadata(actor="a")),
        timeout=5,
    )
    elapsed = time.monotonic() - started
    assert result.version == 1 and 0.15 < elapsed < 1.5
    assert len(await store.unpublished()) == 1  # stored, not yet on Kafka
    publisher.gate.set()  # the broker answers again: the publish that went on finishes
    for _ in range(100):
        if not await store.unpublished():
            break
        await asyncio.sleep(0.01)
    assert [e.event_id for e in publisher.published] == result.event_ids
    assert await relay.publish_pending() == 0  # nothing left for the sweep, nothing sent twice


async def test_the_sweep_leaves_a_commit_to_its_in_request_publish() -> None:
    store, publisher = InMemoryEventStore(), GatedPublisher()
    relay = Relay(store, publisher, publish_timeout_s=5)
    handling = asyncio.create_task(
        commands(store, relay).handle("customer-c1", register("c1"), Metadata(actor="a"))
    )
    await publisher.called.wait()  # appended, its publish under way
    sweep = asyncio.create_task(relay.publish_pending())
    await asyncio.sleep(0.05)
    publisher.gate.set()
    await handling
    await sweep
    assert len(publisher.published) == 1


class FlakyPublisher(InMemoryPublisher):
    def __init__(self) -> None:
        super().__init__()
        self.down = True

    async def publish(self, envelopes: list[EventEnvelope]) -> None:
        if self.down:
            raise ConnectionError("broker down")
        await super().publish(envelopes)


async def test_a_sweep_that_listed_a_commit_before_its_publish_does_not_send_it_again() -> None:
    store, publisher = SlowListing(), FlakyPublisher()
    relay = Relay(store, publisher)
    handler = commands(store, relay)
    await handler.handle("customer-c1", register("c1"), Metadata(actor="a"))  # not sent
    publisher.down = False
    sweep = asyncio.create_task(relay.publish_pending())
    await store.listed.wait()  # the sweep has listed the first commit...
    # ...a rename's in-request publish sends it, then the rename, and marks both...
    await handler.handle(
        "customer-c1", RenameCustomer(customer_id="c1", name="Bea"), Metadata(actor="a")
    )
    store.release.set()  # ...and only then does the sweep go on with its list
    await sweep
    assert [e.stream_version for e in publisher.published] == [1, 2]


async def test_commands_on_one_stream_reach_kafka_once_each_and_in_order() -> None:
    store, publisher = InMemoryEventStore(), InMemoryPublisher()
    relay = Relay(store, publisher, publish_timeout_s=1)
    handler = commands(store, relay)
    stop = asyncio.Event()
    sweeper = asyncio.create_task(relay.run(interval_s=0.001, stop=stop))
    await handler.handle("customer-c1", register("c1"), Metadata(actor="a"))
    for n in range(50):
        await handler.handle(
            "customer-c1", RenameCustomer(customer_id="c1", name=f"N{n}"), Metadata(actor="a")
        )
    stop.set()
    await sweeper
    versions = [e.stream_version for e in publisher.published]
    assert versions == list(range(1, 52))


def test_the_catalogue_tells_consumers_how_to_deduplicate() -> None:
    from crm_local.catalogue import catalogue

    delivery = catalogue()["delivery"]
    assert delivery["guarantee"] == "at-least-once"
    assert delivery["deduplication_key"] == ["ce_subject", "ce_streamversion"]
    assert "(ce_subject, ce_streamversion)" in delivery["description"]


class CountingOutbox(InMemoryEventStore):
    """Counts the reads of one stream's outbox markers (a scan on the local store)."""

    def __init__(self) -> None:
        super().__init__()
        self.outbox_reads = 0

    async def unpublished(self, stream_id: str | None = None, limit: int = 500, exclude=()):
        if stream_id is not None:
            self.outbox_reads += 1
        return await super().unpublished(stream_id, limit, exclude)


class FailingOnce(InMemoryPublisher):
    async def publish(self, envelopes: list[EventEnvelope]) -> None:
        raise ConnectionError("broker down")


async def test_a_commit_after_one_this_relay_sent_is_sent_without_reading_the_outbox() -> None:
    store = CountingOutbox()
    publisher = InMemoryPublisher()
    handler = commands(store, Relay(store, publisher))
    await handler.handle("customer-c1", register("c1"), Metadata(actor="a"))
    await handler.handle(
        "customer-c1", RenameCustomer(customer_id="c1", name="Eva"), Metadata(actor="a")
    )
    assert store.outbox_reads == 0
    assert [e.stream_version for e in publisher.published] == [1, 2]


async def test_a_commit_after_one_left_unsent_sends_that_one_first() -> None:
    store, keys = CountingOutbox(), InMemoryKeyStore()
    handler = commands(store, Relay(store, FailingOnce()), keys)
    await handler.handle("customer-c1", register("c1"), Metadata(actor="a"))  # not sent
    publisher = InMemoryPublisher()
    handler = commands(store, Relay(store, publisher), keys)
    await handler.handle(
        "customer-c1", RenameCustomer(customer_id="c1", name="Eva"), Metadata(actor="a")
    )
    assert store.outbox_reads == 1
    assert [e.stream_version for e in publisher.published] == [1, 2]
