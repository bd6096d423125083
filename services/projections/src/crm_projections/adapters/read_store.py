"""Read-model documents on MongoDB, written with optimistic concurrency.

Each document carries a revision `_rev`. A write replaces the document only
if its revision is still the one that was read; otherwise the upsert runs
into the unique `_id` and reports a conflict, and the projector folds that
customer again from the fresh document. Two projector instances that
briefly both hold a partition (during a rebalance) can therefore never
overwrite each other's work.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo import ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from crm_projections.adapters.databases import DatabaseSource

Document = dict[str, Any]
DUPLICATE_KEY = 11000


class MongoReadStore:
    def __init__(self, source: DatabaseSource, collection: str) -> None:
        self._source = source
        self._name = collection

    async def _collection(self) -> AsyncCollection[Document]:
        return (await self._source.get())[self._name]

    async def load_many(self, ids: Iterable[str]) -> dict[str, Document]:
        cursor = (await self._collection()).find({"_id": {"$in": list(ids)}})
        return {doc["_id"]: doc async for doc in cursor}

    async def get(self, id_: str) -> Document | None:
        return await (await self._collection()).find_one({"_id": id_})

    async def find(
        self, query: Document, sort: list[tuple[str, int]], limit: int
    ) -> list[Document]:
        return await (await self._collection()).find(query, sort=sort, limit=limit).to_list()

    async def save_many(self, changed: dict[str, tuple[int, Document]]) -> set[str]:
        """Write each (expected revision, document); returns the ids that lost a race."""
        if not changed:
            return set()
        ids = list(changed)
        requests = [
            ReplaceOne({"_id": id_, "_rev": rev}, {**doc, "_rev": rev + 1}, upsert=True)
            for id_, (rev, doc) in changed.items()
        ]
        try:
            await (await self._collection()).bulk_write(requests, ordered=False)
        except BulkWriteError as error:
            errors = error.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            return {ids[e["index"]] for e in errors}
        return set()


class MongoRedirects:
    """Merged customer ids and where they went: old id -> survivor id."""

    MAX_HOPS = 16

    def __init__(self, source: DatabaseSource, collection: str = "customer_redirects") -> None:
        self._source = source
        self._name = collection

    async def _collection(self) -> AsyncCollection[Document]:
        return (await self._source.get())[self._name]

    async def resolve_many(self, ids: Iterable[str]) -> dict[str, str]:
        """Each id mapped to the customer it ends up in after following every merge."""
        final = {i: i for i in ids}
        for _ in range(self.MAX_HOPS):
            cursor = (await self._collection()).find({"_id": {"$in": sorted(set(final.values()))}})
            step = {doc["_id"]: doc["to"] async for doc in cursor}
            if not step:
                break
            final = {i: step.get(target, target) for i, target in final.items()}
        return final

    async def save(self, merged_id: str, survivor_id: str) -> None:
        await (await self._collection()).replace_one(
            {"_id": merged_id}, {"_id": merged_id, "to": survivor_id}, upsert=True
        )
