"""Outbox relay, projector delivery guarantees and dead-lettering, on the real broker and store."""

from __future__ import annotations

import uuid
from decimal import Decimal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from crm_kernel import wire
from crm_kernel.adapters.kafka_publisher import TopicPublisher, declare_event_publisher, new_broker
from crm_kernel.adapters.kafka_topics import EVENT_TOPICS, ensure_topics
from crm_kernel.adapters.mongo_eventstore import MongoEventStore
from crm_kernel.domain.envelope import Metadata, wrap
from crm_kernel.relay import Relay
from crm_sales_contracts.events import OrderLine, OrderPlaced

from tests.support import (
    group_caught_up,
    mongo,
    publisher,
    running_projections,
    settings_for,
    wait_for,
)


def placed(customer_id: str, n: int = 1, total: str = "12.50"):
    event = OrderPlaced(
        order_id=f"{customer_id}-{n}",
        customer_id=customer_id,
        currency="EUR",
        total=Decimal(total),
        lines=(OrderLine(sku="A", quantity=1, unit_price=Decimal(total)),),
    )
    return wrap(
        [event],
        source="crm.sales",
        stream_id=f"order-{customer_id}-{n}",
        expected_version=0,
        metadata=Metadata(actor="test"),
    )


async def messages_for(bootstrap: str, topic: str, key: bytes, expect: int, timeout_s: float = 20):
    """Every message with `key` on `topic`, waiting until at least `expect` arrived."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    found = []
    try:

        async def probe():
            batch = await consumer.getmany(timeout_ms=500)
            found.extend(m for ms in batch.values() for m in ms if m.key == key)
            return len(found) >= expect

        await wait_for(probe, timeout_s, f"{expect} messages keyed {key!r} on {topic}")
        # drain what else is there, so a duplicate would show
        for _ in range(3):
            batch = await consumer.getmany(timeout_ms=300)
            found.extend(m for ms in batch.values() for m in ms if m.key == key)
    finally:
        await consumer.stop()
    return found


async def test_an_event_stored_but_never_published_reaches_kafka_through_the_relay_once(
    infra, unique
):
    client = mongo(infra)
    store = MongoEventStore(client[f"t_{unique}"])
    await store.ensure_indexes()
    customer = str(uuid.uuid4())
    # The crash: the command's commit is stored, its publish never happens.
    await store.append(f"order-{customer}-1", 0, placed(customer))
    broker = new_broker(infra.kafka_bootstrap, "crm-test-relay")
    relay = Relay(
        store, TopicPublisher(declare_event_publisher(broker, "sales"), "crm.sales.events")
    )
    await ensure_topics(infra.kafka_bootstrap, list(EVENT_TOPICS), 3)
    await broker.start()
    try:
        assert await relay.publish_pending() == 1
        assert await relay.publish_pending() == 0  # marked published: a second sweep sends nothing
    finally:
        await broker.stop()
    found = await messages_for(infra.kafka_bootstrap, "crm.sales.events", customer.encode(), 1)
    assert len(found) == 1
    assert wire.decode(found[0].headers, found[0].value).stream_id == f"order-{customer}-1"
    await client.drop_database(f"t_{unique}")
    await client.close()


async def test_a_projector_killed_between_write_and_commit_reprocesses_without_double_counting(
    infra, unique
):
    settings = settings_for(infra, unique)
    customer = str(uuid.uuid4())
    async with publisher(infra.kafka_bootstrap) as publish:
        await publish([*placed(customer, 1, "10.00"), *placed(customer, 2, "5.00")])

    # First life: consume the batch, write the read model, die before committing offsets.
    async with running_projections(settings) as service:
        consumer = AIOKafkaConsumer(
            *EVENT_TOPICS,
            bootstrap_servers=infra.kafka_bootstrap,
            group_id=settings.consumer_group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            partition_assignment_strategy=(RangePartitionAssignor,),
        )
        await service.broker.stop()  # only the hand-driven consumer below is in the group
        await consumer.start()
        envelopes = []

        async def mine():
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for r in records:
                    envelopes.append(wire.decode(r.headers, r.value))
            return sum(e.customer_id == customer for e in envelopes) >= 2

        await wait_for(mine, 30, "the customer's two orders")
        await service.projectors.handle(envelopes)
        await consumer.stop()  # no commit: the crash
        first = await service.models.customers.get(customer)
        assert first["sales"]["orders_count"] == 2

    # Second life: the same group redelivers the batch; the document must not change.
    async with running_projections(settings) as service:
        await wait_for(
            lambda: group_caught_up(infra.kafka_bootstrap, settings.consumer_group),
            60,
            "projector caught up",
        )
        again = await service.models.customers.get(customer)
    assert again["sales"]["orders_count"] == 2
    assert again["sales"]["revenue_by_currency"] == {"EUR": "15.00"}
    assert {k: v for k, v in again.items() if k != "_rev"} == {
        k: v for k, v in first.items() if k != "_rev"
    }


async def test_malformed_and_unknown_messages_go_to_the_dead_letter_topic_and_the_projector_goes_on(
    infra, unique
):
    settings = settings_for(infra, unique)
    customer = str(uuid.uuid4())
    await ensure_topics(infra.kafka_bootstrap, [*EVENT_TOPICS, "crm.projections.dlt"], 3)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
    await producer.start()
    good = wire.encode(placed(customer)[0])
    unknown = [(k, b"crm.sales.Teleported.v1" if k == "ce_type" else v) for k, v in good.headers]
    try:
        await producer.send_and_wait("crm.sales.events", b"{oops", key=customer.encode())
        await producer.send_and_wait(
            "crm.sales.events", good.value, key=customer.encode(), headers=unknown
        )
        await producer.send_and_wait(
            "crm.sales.events", good.value, key=good.key, headers=good.headers
        )
    finally:
        await producer.stop()

    async with running_projections(settings) as service:
        document = await wait_for(
            lambda: service.models.customers.get(customer), 30, "the good event"
        )
    assert document["sales"]["orders_count"] == 1
    dead = await messages_for(infra.kafka_bootstrap, "crm.projections.dlt", customer.encode(), 2)
    reasons = sorted(dict(m.headers)["dlt_reason"].decode() for m in dead)
    assert any("ce_specversion" in r for r in reasons)
    assert any("unknown event type crm.sales.Teleported.v1" in r for r in reasons)
    assert all(dict(m.headers)["dlt_topic"] == b"crm.sales.events" for m in dead)
