"""Reading a batch of documents by id.

MongoDB answers `{"_id": {"$in": ids}}` from its `_id` index in one round trip. FerretDB 1.x
does not push `$in` down: it decodes the whole collection. Its point reads by `_id` do use the
index in our build (ADR 8), so there the ids are read one by one, several at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any
from weakref import WeakKeyDictionary

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

Document = dict[str, Any]
POINT_READS_IN_FLIGHT = 16

_in_is_indexed: WeakKeyDictionary[AsyncMongoClient[Any], bool] = WeakKeyDictionary()


async def indexes_in_queries(client: AsyncMongoClient[Any]) -> bool:
    """Whether the server answers `$in` on `_id` from its index (MongoDB: yes, FerretDB 1.x: no)."""
    if client not in _in_is_indexed:
        info = await client.admin.command("buildInfo")
        _in_is_indexed[client] = "ferretdbVersion" not in info
    return _in_is_indexed[client]


async def find_by_ids(
    collection: AsyncCollection[Document], ids: Iterable[str], projection: list[str] | None = None
) -> list[Document]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    if not await indexes_in_queries(collection.database.client):
        return await _point_reads(collection, wanted, projection)
    return await collection.find({"_id": {"$in": wanted}}, projection=projection).to_list()


async def _point_reads(
    collection: AsyncCollection[Document], ids: list[str], projection: list[str] | None
) -> list[Document]:
    slots = asyncio.Semaphore(POINT_READS_IN_FLIGHT)

    async def read(id_: str) -> Document | None:
        async with slots:
            return await collection.find_one({"_id": id_}, projection=projection)

    return [doc for doc in await asyncio.gather(*(read(i) for i in ids)) if doc is not None]
