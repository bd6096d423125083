"""Read-model documents under concurrent writers, on the real MongoDB-compatible store."""

from __future__ import annotations

import pytest
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


async def test_the_active_database_tells_when_the_pointer_moves(infra, unique) -> None:
    from crm_projections.adapters.databases import ActiveDatabase

    client = mongo(infra)
    changes: list[bool] = []
    reader = ActiveDatabase(client, f"t_{unique}", ttl_s=0, on_change=lambda: changes.append(True))
    assert await reader.name() == f"t_{unique}"
    assert await reader.name() == f"t_{unique}" and changes == []
    await ActiveDatabase(client, f"t_{unique}").switch(f"t_{unique}_rebuilt")  # `admin switch`
    assert await reader.name() == f"t_{unique}_rebuilt"
    assert changes == [True]
    await client.drop_database(f"t_{unique}")
    await client.close()


async def test_dropping_the_base_database_after_a_switch_keeps_readers_on_the_live_one(
    infra, unique
) -> None:
    # The pointer to the live database lives in the base one: dropping the base whole sent
    # every reader back to an empty database.
    from crm_projections.adapters.databases import ActiveDatabase
    from crm_projections.entrypoints.admin import drop_read_models

    from tests.support import settings_for

    settings = settings_for(infra, unique)
    base = settings.database_for("projections")
    client = mongo(infra)
    await client[base]["customer_360"].insert_one({"_id": "old"})
    await ActiveDatabase(client, base).switch(f"{base}_rebuilt")
    with pytest.raises(ValueError, match="is live"):
        await drop_read_models(settings, f"{base}_rebuilt")
    said = await drop_read_models(settings, base)
    assert "keeps the pointer" in said
    assert await ActiveDatabase(client, base, ttl_s=0).name() == f"{base}_rebuilt"
    assert await client[base]["customer_360"].find_one({"_id": "old"}) is None
    await client.drop_database(base)
    await client.close()
