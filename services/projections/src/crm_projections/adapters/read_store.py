"""Read-model documents on MongoDB, written with optimistic concurrency.

Each document carries a revision `_rev`. A new document is inserted (a concurrent insert of
the same id fails on the unique `_id`); an existing one is replaced only where its revision is
still the one that was read. A write that loses either race is reported, and the projector
folds that customer again from the fresh document; which write is stored is told by a token
each call writes (`_w`), since both writers of one revision write revision + 1. On MongoDB
two projector instances that briefly both hold a partition (during a rebalance) therefore
never overwrite each other's work. FerretDB 1.x reads and writes a conditional replacement in
two steps, so there two replacements of one revision at the same instant can both succeed:
the local store is for one projector instance.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import uuid4

from crm_kernel.adapters.bulk import bulk_write_in_chunks
from crm_kernel.adapters.lookups import find_by_ids
from crm_kernel.domain.merges import MAX_MERGE_HOPS
from pymongo import InsertOne, ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection

from crm_projections.adapters.databases import DatabaseSource

Document = dict[str, Any]
DUPLICATE_KEY = 11000


WRITER = "_w"  # which save_many call wrote the document: the store's own bookkeeping


class WriteFailed(RuntimeError):
    """The store refused a read-model write for another reason than a lost race."""


def _read(doc: Document) -> Document:
    doc.pop(WRITER, None)
    return doc


class MongoReadStore:
    def __init__(self, source: DatabaseSource, collection: str) -> None:
        self._source = source
        self._name = collection

    async def _collection(self) -> AsyncCollection[Document]:
        return (await self._source.get())[self._name]

    async def load_many(self, ids: Iterable[str]) -> dict[str, Document]:
        found = await find_by_ids(await self._collection(), ids)
        return {doc["_id"]: _read(doc) for doc in found}

    async def get(self, id_: str) -> Document | None:
        doc = await (await self._collection()).find_one({"_id": id_})
        return _read(doc) if doc is not None else None

    async def find(
        self, query: Document, sort: list[tuple[str, int]], limit: int
    ) -> list[Document]:
        found = await (await self._collection()).find(query, sort=sort, limit=limit).to_list()
        return [_read(doc) for doc in found]

    async def save_many(self, changed: dict[str, tuple[int, Document]]) -> set[str]:
        """Write each (expected revision, document); returns the ids that lost a race."""
        if not changed:
            return set()
        collection = await self._collection()
        ids = list(changed)
        # Two writers replacing one revision both write revision + 1, so the winner is told by
        # a token only this call writes.
        token = uuid4().hex
        requests: list[InsertOne[Document] | ReplaceOne[Document]] = [
            InsertOne({**doc, "_rev": 1, WRITER: token})
            if rev == 0
            else ReplaceOne({"_id": id_, "_rev": rev}, {**doc, "_rev": rev + 1, WRITER: token})
            for id_, (rev, doc) in changed.items()
        ]
        outcome = await bulk_write_in_chunks(collection, requests)
        unexpected = [e for e in outcome.errors if e.get("code") != DUPLICATE_KEY]
        if unexpected:
            raise WriteFailed(f"{len(unexpected)} read-model writes failed: {unexpected[0]}")
        lost = {ids[e["index"]] for e in outcome.errors}
        replaced = [i for i in ids if changed[i][0] > 0]
        if outcome.matched < len(replaced):
            # Some replacement found another revision: ask which, by who wrote what is stored.
            now = {
                d["_id"]: d.get(WRITER) for d in await find_by_ids(collection, replaced, [WRITER])
            }
            lost |= {i for i in replaced if now.get(i) != token}
        return lost


class BufferedReadStore:
    """A write-behind cache for a replay into a fresh (empty) database, where the replay is
    the only writer: documents are folded in memory across batches and written once each
    (inserts), up to `max_documents` at a time; until the first write, a document not in the
    buffer is in no database either. `flush` writes them and turns the buffer off."""

    def __init__(self, store: MongoReadStore, max_documents: int = 50_000) -> None:
        self._store = store
        self._max = max_documents
        self._buffer: dict[str, tuple[int, Document]] = {}
        self._active = True
        self._written = False  # until the first write, the database holds nothing of ours

    async def load_many(self, ids: Iterable[str]) -> dict[str, Document]:
        wanted = list(ids)
        found = {
            i: {**self._buffer[i][1], "_rev": self._buffer[i][0]}
            for i in wanted
            if i in self._buffer
        }
        missing = [i for i in wanted if i not in found]
        if missing and (self._written or not self._active):
            found.update(await self._store.load_many(missing))
        return found

    async def save_many(self, changed: dict[str, tuple[int, Document]]) -> set[str]:
        if not self._active:
            return await self._store.save_many(changed)
        for id_, (rev, doc) in changed.items():
            # Keep the revision the database has (0: not there yet) until the flush.
            self._buffer[id_] = (self._buffer[id_][0] if id_ in self._buffer else rev, doc)
        if len(self._buffer) >= self._max:
            await self._write()
        return set()

    async def _write(self) -> None:
        pending, self._buffer = self._buffer, {}
        self._written = True
        lost = await self._store.save_many(pending)
        if lost:
            raise RuntimeError(f"{len(lost)} documents changed under a replay that writes alone")

    async def flush(self) -> None:
        await self._write()
        self._active = False


class MongoRedirects:
    """Merged customer ids and where they went: old id -> survivor id."""

    MAX_HOPS = MAX_MERGE_HOPS

    def __init__(self, source: DatabaseSource, collection: str = "customer_redirects") -> None:
        self._source = source
        self._name = collection

    async def _collection(self) -> AsyncCollection[Document]:
        return (await self._source.get())[self._name]

    async def resolve_many(self, ids: Iterable[str]) -> dict[str, str]:
        """Each id mapped to the customer it ends up in after following every merge."""
        final = {i: i for i in ids}
        for _ in range(self.MAX_HOPS):
            found = await find_by_ids(await self._collection(), final.values())
            step = {doc["_id"]: doc["to"] for doc in found}
            if not step:
                break
            final = {i: step.get(target, target) for i, target in final.items()}
        return final

    async def save(self, merged_id: str, survivor_id: str) -> None:
        await (await self._collection()).replace_one(
            {"_id": merged_id}, {"_id": merged_id, "to": survivor_id}, upsert=True
        )
