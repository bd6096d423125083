"""Sales' blind index folds a batch of contacts' changes in a few bulk commands (ADR 28,
issue 9): on the real store, with more customers than one bounded command holds, the entries
and the points come out as the changes say, and a replayed batch changes nothing."""

from __future__ import annotations

from crm_kernel.adapters.mongo_keystore import MongoKeyStore
from crm_sales.adapters.lead_index import MongoLeadIndex
from crm_sales.domain.customer_points import CustomerGone, PointAdded, PointRemoved

from tests.support import mongo

CUSTOMERS = 120  # more than two bulk commands of 50


async def test_a_batch_of_customers_points_lands_in_the_index_and_a_replay_changes_nothing(
    infra, unique
) -> None:
    client = mongo(infra)
    db = client[f"t_{unique}"]
    index = MongoLeadIndex(db, MongoKeyStore(db))
    shared = "+34600000000"  # one phone every customer gives: one entry, 120 holders
    batch = [
        change
        for n in range(CUSTOMERS)
        for change in (
            PointAdded(f"c{n}", "email", "email", f"c{n}@b.example"),
            PointAdded(f"c{n}", "mobile", "phone", shared),
            PointAdded(f"c{n}", "whatsapp", "phone", shared),
        )
    ]
    await index.learn_customers(batch)
    await index.learn_customers(batch)  # redelivered
    assert (await index.lookalikes("email", "c7@b.example")).customers == ["c7"]
    holders = (await index.lookalikes("phone", shared)).customers
    assert sorted(holders) == sorted(f"c{n}" for n in range(CUSTOMERS))

    later = [
        PointRemoved("c1", "mobile"),
        PointRemoved("c2", "mobile"),
        PointRemoved("c2", "whatsapp"),
        CustomerGone("c3"),
    ]
    await index.learn_customers(later)
    holders = set((await index.lookalikes("phone", shared)).customers)
    assert "c1" in holders and "c2" not in holders and "c3" not in holders
    assert (await index.lookalikes("email", "c3@b.example")).customers == []
    assert await db["customer_points"].find_one({"_id": "c3"}) is None
    assert await db["customer_points"].count_documents({}) == CUSTOMERS - 1
    await client.drop_database(f"t_{unique}")
    await client.close()
