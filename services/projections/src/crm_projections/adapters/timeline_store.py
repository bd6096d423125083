"""Timeline entries on MongoDB: one document per event, keyed by event id (so a redelivery
cannot add it twice), paged by (occurred_at, event id)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm_kernel.adapters.bulk import bulk_write_in_chunks
from crm_kernel.domain.envelope import EventEnvelope
from pymongo import ASCENDING, InsertOne
from pymongo.asynchronous.collection import AsyncCollection

from crm_projections.adapters.databases import DatabaseSource
from crm_projections.adapters.read_store import DUPLICATE_KEY, WriteFailed
from crm_projections.adapters.timeline_entries import entry, envelope_of, position
from crm_projections.domain.wire_values import instant

Document = dict[str, Any]


def page_filter(
    customer_ids: list[str],
    *,
    contexts: list[str] | None,
    since: datetime | None,
    until: datetime | None,
    after: tuple[str, str] | None,
) -> Document:
    """Entries of these customers, in these contexts and this window, after the `after` key."""
    query: Document = {"customer_id": {"$in": customer_ids}}
    if contexts:
        query["context"] = {"$in": contexts}
    window: Document = {}
    if since:
        window["$gte"] = instant(since)
    if until:
        window["$lt"] = instant(until)
    if window:
        query["occurred_at"] = window
    if after is None:
        return query
    at, event_id = after
    later = {"$or": [{"occurred_at": {"$gt": at}}, {"occurred_at": at, "_id": {"$gt": event_id}}]}
    return {"$and": [query, later]}


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

    async def add(self, envelopes: list[EventEnvelope]) -> None:
        entries = {str(e.event_id): entry(e) for e in envelopes}
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
        since: datetime | None,
        until: datetime | None,
        after: tuple[str, str] | None,
        limit: int,
    ) -> list[tuple[EventEnvelope, tuple[str, str]]]:
        """Entries in (occurred_at, event id) order, after the `after` key, at most `limit`."""
        query = page_filter(customer_ids, contexts=contexts, since=since, until=until, after=after)
        cursor = (await self._collection()).find(
            query, sort=[("occurred_at", ASCENDING), ("_id", ASCENDING)], limit=limit
        )
        return [(envelope_of(doc), position(doc)) for doc in await cursor.to_list()]

    async def known_by(self, customer_ids: list[str], at: datetime) -> list[EventEnvelope]:
        """Every entry recorded up to `at`: what we knew then."""
        cursor = (await self._collection()).find(
            {"customer_id": {"$in": customer_ids}, "recorded_at": {"$lte": instant(at)}},
            sort=[("recorded_at", ASCENDING), ("_id", ASCENDING)],
        )
        return [envelope_of(doc) for doc in await cursor.to_list()]
