"""The MongoDB event store on the real MongoDB-compatible store."""

from __future__ import annotations

import asyncio

import pytest
from crm_kernel.adapters.mongo_eventstore import MARKERS_PER_DELETE, MongoEventStore
from crm_kernel.domain.envelope import Metadata, wrap
from crm_kernel.domain.errors import ConflictError
from crm_sales_contracts.events import OrderLine, OrderPlaced
from pymongo.errors import DuplicateKeyError

from tests.support import mongo


def order_events(stream: str, after: int, count: int = 1):
    events = [
        OrderPlaced(
            order_id=f"{stream}-{after + i}",
            customer_id="c1",
            currency="EUR",
            total=1,
            lines=(OrderLine(sku="A", quantity=1, unit_price=1),),
        )
        for i in range(count)
    ]
    return wrap(
        events,
        source="crm.sales",
        stream_id=stream,
        expected_version=after,
        metadata=Metadata(actor="test"),
    )


@pytest.fixture
async def store(infra, unique):
    client = mongo(infra)
    store = MongoEventStore(client[f"t_{unique}"])
    await store.ensure_indexes()
    yield store
    await client.drop_database(f"t_{unique}")
    await client.close()


async def test_twenty_concurrent_appends_at_one_version_let_exactly_one_through(store) -> None:
    stream = "order-race"
    await store.append(stream, 0, order_events(stream, 0))
    attempts = [store.append(stream, 1, order_events(stream, 1, count=2)) for _ in range(20)]
    results = await asyncio.gather(*attempts, return_exceptions=True)
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1
    assert len(losers) == 19, losers
    assert all(isinstance(e, ConflictError) for e in losers), [
        e for e in losers if not isinstance(e, ConflictError)
    ]
    versions = [e.stream_version for e in await store.read_stream(stream)]
    assert versions == [1, 2, 3]  # no gap, no duplicate


async def test_a_commit_is_atomic_and_read_back_in_order(store) -> None:
    await store.append("order-a", 0, order_events("order-a", 0, count=3))
    await store.append("order-b", 0, order_events("order-b", 0))
    await store.append("order-a", 3, order_events("order-a", 3))
    assert [e.stream_version for e in await store.read_stream("order-a")] == [1, 2, 3, 4]
    commits = [c async for c in store.read_all(batch_size=2)]
    assert [c.stream_id for c in commits] == ["order-a", "order-b", "order-a"]
    assert [c.position for c in commits] == sorted(c.position for c in commits)


async def test_a_stale_or_future_expected_version_is_refused(store) -> None:
    await store.append("order-s", 0, order_events("order-s", 0, count=2))
    for wrong in (0, 1, 5):
        with pytest.raises(ConflictError, match="at version 2"):
            await store.append("order-s", wrong, order_events("order-s", wrong))
    assert len(await store.read_stream("order-s")) == 2


async def test_unpublished_commits_come_per_stream_in_version_order(store) -> None:
    await store.append("order-y", 0, order_events("order-y", 0))
    await store.append("order-x", 0, order_events("order-x", 0))
    await store.append("order-y", 1, order_events("order-y", 1))
    pending = await store.unpublished()
    assert [(c.stream_id, c.events[0].stream_version) for c in pending] == [
        ("order-x", 1),
        ("order-y", 1),
        ("order-y", 2),
    ]
    await store.mark_published([pending[0]])
    assert [c.stream_id for c in await store.unpublished()] == ["order-y", "order-y"]


async def test_commits_cached_by_one_instance_never_hide_another_instances_appends(
    infra, unique, store
) -> None:
    # Two service instances on one database: each caches the commits it has seen.
    client = mongo(infra)
    other = MongoEventStore(client[f"t_{unique}"])
    await store.append("order-m", 0, order_events("order-m", 0))
    assert [e.stream_version for e in await other.read_stream("order-m")] == [1]
    await store.append("order-m", 1, order_events("order-m", 1, count=2))
    # `other` has commit 1 cached; the walk past it still finds what `store` appended.
    assert [e.stream_version for e in await other.read_stream("order-m")] == [1, 2, 3]
    with pytest.raises(ConflictError, match="at version 3"):
        await other.append("order-m", 1, order_events("order-m", 1))
    await other.append("order-m", 3, order_events("order-m", 3))
    assert [e.stream_version for e in await store.read_stream("order-m")] == [1, 2, 3, 4]
    await client.close()


async def test_a_small_commit_cache_only_costs_reads(infra, unique) -> None:
    client = mongo(infra)
    tiny = MongoEventStore(client[f"t_{unique}"], recent_commits=2)
    for version in range(5):
        await tiny.append("order-t", version, order_events("order-t", version))
    assert [e.stream_version for e in await tiny.read_stream("order-t")] == [1, 2, 3, 4, 5]
    await client.drop_database(f"t_{unique}")
    await client.close()


async def test_a_stale_writer_never_marks_a_published_commit_again(store) -> None:
    await store.append("order-p", 0, order_events("order-p", 0))
    await store.mark_published(await store.unpublished())
    with pytest.raises(ConflictError, match="at version 1"):
        await store.append("order-p", 0, order_events("order-p", 0))  # e.g. a retried create
    assert await store.unpublished() == []  # nothing to send twice


async def test_after_a_race_only_the_winners_commits_are_pending(store) -> None:
    stream = "order-w"
    attempts = [store.append(stream, 0, order_events(stream, 0)) for _ in range(10)]
    results = await asyncio.gather(*attempts, return_exceptions=True)
    winner = next(r for r in results if not isinstance(r, BaseException))
    assert [(c.commit_id, c.position) for c in await store.unpublished()] == [
        (winner.commit_id, winner.position)
    ]


async def test_a_marker_from_before_markers_were_per_attempt_is_still_published(
    infra, unique, store
) -> None:
    commit = await store.append("order-l", 0, order_events("order-l", 0))
    client = mongo(infra)
    outbox = client[f"t_{unique}"]["events_outbox"]
    await outbox.delete_many({})
    await outbox.insert_one(
        {"_id": commit.commit_id, "stream_id": "order-l", "version_from": 1, "created_at": "x"}
    )
    assert [c.commit_id for c in await store.unpublished()] == [commit.commit_id]
    await store.mark_published([commit])
    assert await store.unpublished() == [] and await outbox.count_documents({}) == 0
    await client.close()


async def test_a_store_reset_under_a_running_process_is_not_hidden_by_its_cache(
    infra, unique, store
) -> None:
    await store.append("order-r", 0, order_events("order-r", 0, count=2))
    client = mongo(infra)
    await client.drop_database(f"t_{unique}")  # e.g. wiped while the infra was down
    await store.unpublished()  # the relay's next sweep notices
    with pytest.raises(ConflictError, match="at version 0"):
        await store.append("order-r", 2, order_events("order-r", 2))  # would leave a gap
    assert await store.read_stream("order-r") == []
    await client.close()


async def test_a_commit_marked_by_both_marker_formats_is_listed_once(infra, unique, store) -> None:
    commit = await store.append("order-d", 0, order_events("order-d", 0))
    client = mongo(infra)
    await client[f"t_{unique}"]["events_outbox"].insert_one(
        {"_id": commit.commit_id, "stream_id": "order-d", "version_from": 1, "created_at": "x"}
    )
    assert [c.commit_id for c in await store.unpublished()] == [commit.commit_id]
    await client.close()


async def test_losing_the_race_to_create_the_store_identity_is_not_an_error(
    store, monkeypatch
) -> None:
    # Two first appends both upsert the missing identity; the second insert fails on `_id`.
    identity = store._identity
    real = identity.find_one_and_update
    raced = []

    async def first_loses(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not raced:
            raced.append(True)
            await real(*args, **kwargs)  # the other writer's upsert
            raise DuplicateKeyError("E11000 duplicate key error collection: events_identity")
        return await real(*args, **kwargs)

    monkeypatch.setattr(identity, "find_one_and_update", first_loses)
    commit = await store.append("order-f", 0, order_events("order-f", 0))
    assert raced
    assert [c.commit_id async for c in store.read_all()] == [commit.commit_id]


async def test_positions_follow_versions_within_a_stream_and_time_across_streams(
    infra, unique, store
) -> None:
    other = MongoEventStore(mongo(infra)[f"t_{unique}"])  # another process, same store
    a1 = await store.append("order-p", 0, order_events("order-p", 0))
    b1 = await other.append("order-q", 0, order_events("order-q", 0))
    a2 = await other.append("order-p", 1, order_events("order-p", 1))
    a3 = await store.append("order-p", 2, order_events("order-p", 2))
    assert a1.position < a2.position < a3.position
    assert a1.position < b1.position < a3.position
    assert [c.commit_id async for c in store.read_all()] == [
        c.commit_id for c in sorted((a1, b1, a2, a3), key=lambda c: c.position)
    ]


async def test_sent_commits_lose_their_markers_in_batches_and_never_twice_meanwhile(
    infra, unique, store
) -> None:
    client = mongo(infra)
    outbox = client[f"t_{unique}"]["events_outbox"]
    first = await store.append("order-b", 0, order_events("order-b", 0))
    await store.mark_published([first])
    assert await outbox.count_documents({}) == 1  # its deletion waits for company
    assert await store.unpublished("order-b") == []  # but this process never sends it again
    # A process that crashed before deleting: another one sends the commit again (consumers
    # skip versions they applied), which is why the markers are deleted at all.
    restarted = MongoEventStore(client[f"t_{unique}"])
    assert [c.commit_id for c in await restarted.unpublished("order-b")] == [first.commit_id]
    streams = [f"order-b{n}" for n in range(MARKERS_PER_DELETE - 1)]
    commits = [await store.append(s, 0, order_events(s, 0)) for s in streams]
    await store.mark_published(commits[:-1])
    assert await outbox.count_documents({}) == MARKERS_PER_DELETE
    await store.mark_published(commits[-1:])  # the batch is full: one delete for them all
    assert await outbox.count_documents({}) == 0
    await client.close()


async def test_the_relay_sweep_deletes_the_markers_of_what_was_sent(infra, unique, store) -> None:
    client = mongo(infra)
    outbox = client[f"t_{unique}"]["events_outbox"]
    commit = await store.append("order-s", 0, order_events("order-s", 0))
    await store.mark_published([commit])
    assert await store.unpublished() == []  # the sweep's call
    assert await outbox.count_documents({}) == 0
    await client.close()


async def test_a_sweep_leaves_another_processs_young_markers_to_it(infra, unique, store) -> None:
    client = mongo(infra)
    outbox = client[f"t_{unique}"]["events_outbox"]
    other = MongoEventStore(client[f"t_{unique}"])  # another process, same store
    commit = await store.append("order-g", 0, order_events("order-g", 0))
    # Not yet marked published: its writer is publishing it now, or broke down doing so.
    assert await other.unpublished() == []  # the other's sweep leaves it to its writer
    assert [c.commit_id for c in await store.unpublished()] == [commit.commit_id]  # its own
    await outbox.update_many({}, {"$set": {"created_at": "2000-01-01T00:00:00+00:00"}})
    assert [c.commit_id for c in await other.unpublished()] == [commit.commit_id]  # leftovers
    await client.close()


async def test_a_sweep_never_sends_a_streams_later_commit_before_one_it_leaves(
    infra, unique, store
) -> None:
    other = MongoEventStore(mongo(infra)[f"t_{unique}"])  # another process, same store
    await other.append("order-o", 0, order_events("order-o", 0))  # v1: its writer's to send
    await store.append("order-o", 1, order_events("order-o", 1))  # v2: this process's
    # Consumers skip versions at or below the last they applied: v2 alone would lose v1.
    assert await store.unpublished() == []
    assert [c.version for c in await store.unpublished("order-o")] == [1, 2]  # in order
