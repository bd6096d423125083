"""Deadlines on the real store (crm_kernel.adapters.mongo_deadlines, ADR 44): set by key (set
again: moved), found when due, earliest first, to the millisecond; forgetting one that was
moved meanwhile leaves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm_kernel.adapters.mongo_deadlines import MongoDeadlineStore
from crm_kernel.ports.deadlines import Deadline

from tests.support import mongo

T = datetime(2026, 4, 8, 0, 0, 0, 123_456, tzinfo=UTC)


async def test_deadlines_are_kept_by_key_found_when_due_and_forgotten(infra, unique) -> None:
    client = mongo(infra)
    store = MongoDeadlineStore(client[f"t_{unique}"])
    await store.ensure_indexes()
    first = Deadline(key="r:A:0:0", kind="reminder", due_at=T, data={"invoice_id": "A"})
    later = Deadline(key="r:B:0:0", kind="reminder", due_at=T + timedelta(days=1))
    await store.set_many([later, first])
    await store.set_many([first])  # a redelivery sets the same one
    found = await store.due(T + timedelta(days=2), 10)
    assert [(d.key, d.data) for d in found] == [("r:A:0:0", {"invoice_id": "A"}), ("r:B:0:0", {})]
    assert found[0].due_at == T.replace(microsecond=123_000)  # the store keeps milliseconds
    assert await store.due(T - timedelta(seconds=1), 10) == []
    moved = Deadline(key="r:B:0:0", kind="reminder", due_at=T + timedelta(days=5))
    await store.set_many([moved])
    await store.done(found[1])  # raised at its old time, moved since: kept
    await store.done(found[0])
    assert [d.key for d in await store.due(T + timedelta(days=9), 10)] == ["r:B:0:0"]
    await store.cancel(["r:B:0:0"])
    assert await store.due(T + timedelta(days=9), 10) == []
    await client.drop_database(f"t_{unique}")
    await client.close()
