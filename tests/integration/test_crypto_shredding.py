"""Crypto-shredding: after a customer's key is deleted, every copy of their personal data
(in the event store, on Kafka, and in a rebuilt 360 view) reads as erased."""

from __future__ import annotations

import json
import uuid

import pytest
from crm_contacts.domain.customer import RegisterCustomer, stream_of
from crm_contacts_contracts.events import CustomerType, PartyKind
from crm_kernel import wire
from crm_kernel.adapters.kafka_publisher import TopicPublisher, declare_event_publisher, new_broker
from crm_kernel.adapters.kafka_topics import EVENT_TOPICS, ensure_topics
from crm_kernel.adapters.mongo_eventstore import MongoEventStore
from crm_kernel.adapters.mongo_keystore import MongoKeyStore
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import GoneError
from crm_kernel.domain.events import ERASED
from crm_kernel.privacy import PREFIX, unseal_all

from tests.integration.test_relay_and_projector import messages_for
from tests.support import customer_commands, mongo, running_projections, settings_for, wait_for


async def test_deleting_the_key_erases_stored_published_and_rebuilt_personal_data(infra, unique):
    settings = settings_for(infra, unique)
    client = mongo(infra)
    store = MongoEventStore(client[settings.database_for("contacts")])
    keys = MongoKeyStore(client[settings.vault_database])
    await store.ensure_indexes()
    broker = new_broker(infra.kafka_bootstrap, "crm-test-contacts")
    topic = TopicPublisher(declare_event_publisher(broker, "contacts"), "crm.contacts.events")
    commands = customer_commands(store, keys, topic)
    customer = str(uuid.uuid4())
    await ensure_topics(infra.kafka_bootstrap, list(EVENT_TOPICS), 3)
    await broker.start()
    try:
        await commands.handle(
            stream_of(customer),
            RegisterCustomer(
                customer_id=customer,
                kind=PartyKind.PERSON,
                customer_type=CustomerType.CONSUMER,
                name="Ana García",
                email="ana@example.com",
                phone="+34612345678",
            ),
            Metadata(actor="test"),
        )
    finally:
        await broker.stop()

    raw = await client[settings.database_for("contacts")]["events"].find_one(
        {"stream_id": stream_of(customer)}
    )
    stored = raw["events"][0]["data"]
    assert stored["name"].startswith(PREFIX) and "Ana" not in json.dumps(raw)
    messages = await messages_for(
        infra.kafka_bootstrap, "crm.contacts.events", customer.encode(), 3
    )
    for message in messages:
        assert b"Ana" not in message.value and b"ana@example.com" not in message.value
        assert b"+34612345678" not in message.value

    live = settings_for(infra, unique)
    async with running_projections(live) as service:
        doc = await wait_for(lambda: service.models.customers.get(customer), 30, "the 360 view")
    assert doc["profile"]["name"] == "Ana García"

    assert await keys.delete(customer)  # the erasure

    from_store = await unseal_all(await store.read_stream(stream_of(customer)), keys)
    from_kafka = await unseal_all([wire.decode(m.headers, m.value) for m in messages], keys)
    for history in (from_store, from_kafka):
        by_type = {e.type.split(".")[2]: e for e in history}
        assert by_type["CustomerRegistered"].data["name"] == ERASED
        assert by_type["ContactPointAdded"].data["value"] == ERASED
        # the rest stays readable
        assert by_type["CustomerRegistered"].event().customer_type == CustomerType.CONSUMER

    rebuilt = settings_for(infra, unique).model_copy(
        update={"database": f"t_rebuild_{unique}", "consumer_group": f"t-rebuild-{unique}"}
    )
    async with running_projections(rebuilt) as service:
        doc = await wait_for(
            lambda: service.models.customers.get(customer), 30, "the rebuilt 360 view"
        )
    assert doc["profile"]["name"] == ERASED
    assert {p["value"] for p in doc["contact"]["points"]} == {ERASED}
    assert "Ana" not in json.dumps(doc) and "ana@example.com" not in json.dumps(doc)
    await client.close()


async def test_an_erased_customer_keeps_a_tombstone_and_never_gets_a_new_key(infra, unique):
    client = mongo(infra)
    keys = MongoKeyStore(client[settings_for(infra, unique).vault_database])
    customer = str(uuid.uuid4())
    key = await keys.get_or_create(customer)
    assert await keys.get_or_create(customer) == key
    assert await keys.delete(customer) is True
    assert await keys.delete(customer) is False  # nothing left to delete
    assert await keys.get_many([customer]) == {}
    with pytest.raises(GoneError, match="erased"):
        await keys.get_or_create(customer)
    await client.close()


async def test_customers_erased_before_key_tombstones_get_theirs_once(infra, unique):
    from crm_contacts.adapters.upgrades import MongoUpgrades
    from crm_contacts.application.key_tombstones import tombstone_earlier_erasures
    from crm_contacts.domain.customer import EraseCustomer

    from tests.fakes import InMemoryPublisher

    settings = settings_for(infra, unique)
    client = mongo(infra)
    contacts = client[settings.database_for("contacts")]
    vault = client[settings.vault_database]
    store, keys = MongoEventStore(contacts), MongoKeyStore(vault)
    commands = customer_commands(store, keys, InMemoryPublisher())
    erased, kept, recent = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    for customer in (erased, kept, recent):
        register = RegisterCustomer(
            customer_id=customer,
            kind=PartyKind.PERSON,
            customer_type=CustomerType.CONSUMER,
            name="Ana",
        )
        await commands.handle(stream_of(customer), register, Metadata(actor="test"))
    for customer in (erased, recent):
        erase = EraseCustomer(customer_id=customer, requested_by="dpo", reason="ticket 9")
        await commands.handle(stream_of(customer), erase, Metadata(actor="test"))
    await vault["customer_keys"].delete_one({"_id": erased})  # as erasure used to do
    await keys.delete(recent)  # as erasure does now
    before = await vault["customer_keys"].find_one({"_id": recent})
    upgrades = MongoUpgrades(contacts)
    assert await tombstone_earlier_erasures(store, keys, upgrades) == 1
    assert await vault["customer_keys"].find_one({"_id": recent}) == before  # left as it was
    with pytest.raises(GoneError):
        await keys.get_or_create(erased)
    assert await keys.get_many([kept]) != {}  # others keep their keys
    assert await tombstone_earlier_erasures(store, keys, upgrades) == 0  # done once per store
    await client.close()
