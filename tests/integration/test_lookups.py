"""Reading documents by id on the real store: one `$in` query, answered from the `_id` index."""

from __future__ import annotations

import uuid
from typing import Any

from crm_kernel.adapters.lookups import IDS_PER_QUERY, find_by_ids

from tests.support import mongo


async def test_find_by_ids_returns_each_stored_document_once(infra, unique) -> None:
    client = mongo(infra)
    collection = client[f"t_{unique}"]["docs"]
    ids = [str(uuid.uuid4()) for _ in range(IDS_PER_QUERY + 20)]  # more than one query's worth
    await collection.insert_many([{"_id": i, "n": n} for n, i in enumerate(ids)])
    asked = [*ids, ids[0], "not-there"]
    found = await find_by_ids(collection, asked)
    assert sorted(d["_id"] for d in found) == sorted(ids)
    assert await find_by_ids(collection, []) == []
    [one] = await find_by_ids(collection, [ids[3]], projection=["n"])
    assert one == {"_id": ids[3], "n": 3}
    await client.drop_database(f"t_{unique}")
    await client.close()


def uses_the_id_index(plan: dict[str, Any]) -> bool:
    """SQLite's plan (FerretDB) says USING INDEX; MongoDB's names an index scan stage."""
    text = str(plan)
    return any(mark in text for mark in ("USING INDEX", "IXSCAN", "IDHACK"))


async def test_the_store_answers_in_on_ids_from_its_index(infra, unique) -> None:
    # On the local FerretDB build this is ADR 8's patch; MongoDB does it by itself.
    client = mongo(infra)
    database = client[f"t_{unique}"]
    await database["docs"].insert_many([{"_id": str(n)} for n in range(50)])
    for query in ({"_id": "7"}, {"_id": {"$in": ["7", "9"]}}):
        plan = await database.command("explain", {"find": "docs", "filter": query})
        assert uses_the_id_index(plan), plan
    mixed = await database["docs"].find({"_id": {"$in": ["7", 9]}}).to_list()
    assert mixed == [{"_id": "7"}]  # a number among the ids: still answered right
    await client.drop_database(f"t_{unique}")
    await client.close()
