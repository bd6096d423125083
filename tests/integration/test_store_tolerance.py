"""What the local store must stand (issue 9): one update command of many statements, and a
revision-checked replace answered from the `_id` index. Raw PyMongo on purpose: the read store
chunks its writes, so only a raw bulk write reaches FerretDB's limits."""

from __future__ import annotations

import asyncio

from pymongo import ReplaceOne

from tests.integration.test_lookups import uses_the_id_index
from tests.support import mongo

DOCUMENTS = 500


async def test_one_bulk_write_of_500_revision_checked_replaces_succeeds(infra, unique) -> None:
    # FerretDB 1.24 kept every statement's query open until the command ended: statement 100
    # waited for a pool connection that never came, and the database froze for every client.
    writer, reader = mongo(infra), mongo(infra)
    docs = writer[f"t_{unique}"]["docs"]
    await docs.insert_many([{"_id": f"c{n}", "_rev": 1, "n": n} for n in range(DOCUMENTS)])
    replaces = [
        ReplaceOne({"_id": f"c{n}", "_rev": 1}, {"_id": f"c{n}", "_rev": 2, "n": -n})
        for n in range(DOCUMENTS)
    ]
    result = await asyncio.wait_for(docs.bulk_write(replaces, ordered=False), timeout=60)
    assert result.matched_count == DOCUMENTS and result.modified_count == DOCUMENTS
    # Other clients still read, and they read the new revisions.
    other = reader[f"t_{unique}"]["docs"]
    found = await asyncio.wait_for(other.find_one({"_id": "c499"}), timeout=10)
    assert found == {"_id": "c499", "_rev": 2, "n": -499}
    assert await asyncio.wait_for(other.count_documents({"_rev": 2}), timeout=10) == DOCUMENTS
    await writer.drop_database(f"t_{unique}")
    await writer.close()
    await reader.close()


async def test_a_filter_that_pins_the_id_is_answered_from_its_index(infra, unique) -> None:
    # The projector replaces {_id, _rev}: FerretDB pushed down only a filter of `_id` alone,
    # so each such replace decoded the whole collection.
    client = mongo(infra)
    database = client[f"t_{unique}"]
    await database["docs"].insert_many([{"_id": str(n), "_rev": n % 3} for n in range(50)])
    for query in ({"_id": "7", "_rev": 1}, {"_id": {"$in": ["7", "8"]}, "_rev": 1}):
        plan = await database.command("explain", {"find": "docs", "filter": query})
        assert uses_the_id_index(plan), plan
    # The rest of the filter still decides: a wrong revision matches nothing.
    assert await database["docs"].find_one({"_id": "7", "_rev": 2}) is None
    assert await database["docs"].find_one({"_id": "7", "_rev": 1}) == {"_id": "7", "_rev": 1}
    stale = await database["docs"].replace_one({"_id": "8", "_rev": 0}, {"_id": "8", "_rev": 9})
    assert stale.matched_count == 0
    await client.drop_database(f"t_{unique}")
    await client.close()
