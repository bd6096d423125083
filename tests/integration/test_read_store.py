"""Read-model documents under concurrent writers, on the real MongoDB-compatible store."""

from __future__ import annotations

from crm_projections.adapters.databases import FixedDatabase
from crm_projections.adapters.read_store import MongoReadStore

from tests.support import mongo


async def test_a_writer_that_read_a_revision_another_already_replaced_loses(infra, unique) -> None:
    client = mongo(infra)
    store = MongoReadStore(FixedDatabase(client[f"t_{unique}"]), "customer_360")
    assert await store.save_many({"c1": (0, {"_id": "c1", "n": 0})}) == set()
    rev = (await store.get("c1") or {})["_rev"]
    # Both read revision `rev`; x writes first, so y's replacement matches nothing. Both
    # would have written revision + 1: only the writer token tells y that it lost.
    assert await store.save_many({"c1": (rev, {"_id": "c1", "by": "x"})}) == set()
    assert await store.save_many({"c1": (rev, {"_id": "c1", "by": "y"})}) == {"c1"}
    stored = await store.get("c1")
    assert stored is not None and stored["by"] == "x" and stored["_rev"] == rev + 1
    assert "_w" not in stored  # the store's bookkeeping stays inside the store
    await client.drop_database(f"t_{unique}")
    await client.close()
