"""Timeline entries on MongoDB: one document per event, keyed by event id (so a redelivery
cannot add it twice), paged by (occurred_at, event id)."""

from __future__ import annotations

from typing import Any

from crm_kernel.adapters.bulk import bulk_write_in_chunks
from crm_kernel.domain.envelope import EventEnvelope
from pymongo import ASCENDING, InsertOne
from pymongo.asynchronous.collection import AsyncCollection

from crm_projections.adapters.databases import DatabaseSource
from crm_projections.adapters.read_store import DUPLICATE_KEY, WriteFailed
from crm_projections.domain.timeline import entry

Document = dict[str, Any]


class TimelineStore:
    def __init__(self, source: DatabaseSource, collection: str = "timeline") -> None:
        self._source = source
        self._name = collection

    async def _collection(self) -> AsyncCollection[Document]:
        return (await self._source.get())[self._name]

    async def ensure_indexes(self) -> None:
        collection = await self._collection()
        await collection.create_index(
            [("customer_id", ASCENDING), ("occurred_at", ASCENDING), ("_id", ASCENDING)]
        )

    async def handle(self, envelopes: list[EventEnvelope]) -> None:
        entries = {str(e.event_id): entry(e) for e in envelopes if e.customer_id is not None}
        if not entries:
            return
        # An entry never changes: a redelivered event meets its own _id and is skipped.
        outcome = await bulk_write_in_chunks(
            await self._collection(), [InsertOne(doc) for doc in entries.values()]
        )
        unexpected = [e for e in outcome.errors if e.get("code") != DUPLICATE_KEY]
        if unexpected:
            raise WriteFailed(f"{len(unexpected)} timeline writes failed: {unexpected[0]}")

    async def page(
        self,
        customer_ids: list[str],
        *,
        contexts: list[str] | None,
        since: str | None,
        until: str | None,
        after: tuple[str, str] | None,
        limit: int,
    ) -> list[Document]:
        """Entries in (occurred_at, event id) order, after the `after` key, at most `limit`."""
        query: Document = {"customer_id": {"$in": customer_ids}}
        if contexts:
            query["context"] = {"$in": contexts}
        window: Document = {}
        if since:
            window["$gte"] = since
        if until:
            window["$lt"] = until
        if window:
            query["occurred_at"] = window
        if after is not None:
            at, event_id = after
            query = {
                "$and": [
                    query,
                    {
                        "$or": [
                            {"occurred_at": {"$gt": at}},
                            {"occurred_at": at, "_id": {"$gt": event_id}},
                        ]
                    },
                ]
            }
        cursor = (await self._collection()).find(
            query, sort=[("occurred_at", ASCENDING), ("_id", ASCENDING)], limit=limit
        )
        return await cursor.to_list()

    async def known_by(self, customer_ids: list[str], at: str) -> list[Document]:
        """Every entry recorded up to `at`: what we knew then."""
        cursor = (await self._collection()).find(
            {"customer_id": {"$in": customer_ids}, "recorded_at": {"$lte": at}},
            sort=[("recorded_at", ASCENDING), ("_id", ASCENDING)],
        )
        return await cursor.to_list()
