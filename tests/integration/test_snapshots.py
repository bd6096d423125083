"""Snapshots beside the streams on the real store (ADR 20): written sealed, read back by
another process, kept newest-first under races, ignored when malformed, and shredded with
the customer's key by an erasure, after which commands answer as before."""

from __future__ import annotations

import json
import uuid

import pytest
from crm_contacts.adapters.duplicate_index import MongoDuplicateIndex
from crm_contacts.application.customers import Customers
from crm_contacts.application.erasure import Erasure
from crm_contacts.domain import customer as c
from crm_contacts_contracts.events import CustomerType, PartyKind
from crm_kernel.adapters.mongo_eventstore import MongoEventStore
from crm_kernel.adapters.mongo_keystore import MongoKeyStore
from crm_kernel.adapters.mongo_snapshots import MongoSnapshotStore
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import GoneError
from crm_kernel.domain.events import ERASED
from crm_kernel.ports.snapshots import Snapshot
from crm_kernel.privacy import PREFIX

from tests.fakes import InMemoryPublisher
from tests.snapshot_support import CountingStore, snapshotting_customers
from tests.support import mongo

META = Metadata(actor="test")
INTERVAL = 25


@pytest.fixture
async def db(infra, unique):
    client = mongo(infra)
    yield client[f"t_{unique}"], client[f"t_vault_{unique}"]
    await client.drop_database(f"t_{unique}")
    await client.drop_database(f"t_vault_{unique}")
    await client.close()


def process(db, interval: int = INTERVAL):
    """What one service process holds: its own store (with an empty commit cache)."""
    events, vault = db
    store = CountingStore(MongoEventStore(events))
    keys = MongoKeyStore(vault)
    handler = snapshotting_customers(
        store, keys, InMemoryPublisher(), MongoSnapshotStore(events), interval
    )
    return handler, store, keys


async def registered_with_tags(handler, cid: str, pairs: int) -> str:
    stream = c.stream_of(cid)
    await handler.handle(
        stream,
        c.RegisterCustomer(
            customer_id=cid,
            kind=PartyKind.PERSON,
            customer_type=CustomerType.CONSUMER,
            name="Ana García",
            email="ana@example.com",
        ),
        META,
    )
    for n in range(pairs):
        await handler.handle(stream, c.AddTag(customer_id=cid, tag=f"t{n}"), META)
        await handler.handle(stream, c.RemoveTag(customer_id=cid, tag=f"t{n}"), META)
    return stream


async def test_another_process_loads_from_the_sealed_snapshot_and_later_events(db) -> None:
    writer, _, _ = process(db)
    cid = str(uuid.uuid4())
    stream = await registered_with_tags(writer, cid, 60)  # 123 events
    raw = await db[0]["snapshots"].find_one({"_id": stream})
    assert raw is not None and 123 - INTERVAL < raw["version"] <= 123
    assert raw["state"].startswith(PREFIX) and "Ana" not in json.dumps(raw, default=str)
    assert "example.com" not in json.dumps(raw, default=str)

    reader, store, _ = process(db)
    state, version = await reader.load(stream)
    assert store.events_read < INTERVAL + 1  # the snapshot's commit, then the later events
    plain, _, _ = process(db, interval=0)
    assert (state, version) == await plain.load(stream)
    assert state.name == "Ana García" and version == 123

    result = await reader.handle(stream, c.AddTag(customer_id=cid, tag="vip"), META)
    assert result.version == 124 and "vip" in result.state.tags


async def test_the_newer_snapshot_stays_when_an_older_one_arrives_later(db) -> None:
    snapshots = MongoSnapshotStore(db[0])
    newer = Snapshot("s-1", 40, "s-1@000000000040", 4, "x/v1", None, "{}")
    await snapshots.put(newer)
    await snapshots.put(Snapshot("s-1", 30, "s-1@000000000030", 3, "x/v1", None, "{}"))
    assert await snapshots.get("s-1") == newer
    latest = Snapshot("s-1", 50, "s-1@000000000050", 5, "x/v1", None, "{}")
    await snapshots.put(latest)
    assert await snapshots.get("s-1") == latest


@pytest.mark.parametrize(
    "spoiled",
    [
        {"version": "40"},
        {"state": {"not": "text"}},
        {"state": "not json"},
        {"commit_id": None, "position": None},
    ],
)
async def test_a_malformed_snapshot_document_is_ignored(db, spoiled) -> None:
    writer, _, _ = process(db)
    cid = str(uuid.uuid4())
    stream = await registered_with_tags(writer, cid, 15)
    await db[0]["snapshots"].update_one({"_id": stream}, {"$set": spoiled})
    reader, store, _ = process(db)
    state, version = await reader.load(stream)
    assert version == 33 and store.events_read >= 33 and state.name == "Ana García"


async def test_erasure_shreds_the_snapshot_and_commands_after_it_answer_as_before(db) -> None:
    handler, _, keys = process(db)
    cid = str(uuid.uuid4())
    stream = await registered_with_tags(handler, cid, 20)
    sealed = await db[0]["snapshots"].find_one({"_id": stream})
    assert sealed is not None
    erasure = Erasure(Customers(handler), MongoDuplicateIndex(db[0], keys), keys)
    await erasure.erase(cid, requested_by="dpo", reason="art. 17", metadata=META)
    assert await db[0]["snapshots"].find_one({"_id": stream}) is None
    # A copy of the old snapshot (a backup, say) reads nothing once the key is shredded.
    await db[0]["snapshots"].insert_one(sealed)
    reader, _, _ = process(db)
    state, _ = await reader.load(stream)
    assert state.erased and state.name == ERASED
    with pytest.raises(GoneError, match="erased"):
        await reader.handle(stream, c.AddTag(customer_id=cid, tag="vip"), META)
    after = await db[0]["snapshots"].find_one({"_id": stream})
    assert after == sealed  # nothing written over it, nothing in clear
