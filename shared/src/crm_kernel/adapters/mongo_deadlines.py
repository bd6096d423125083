"""Deadlines in MongoDB, one document per key beside the context's event store (ADR 44):
`{_id: key, kind, due_at, data}`, indexed by `due_at`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from crm_kernel.adapters.bulk import bulk_write_in_chunks
from crm_kernel.ports.deadlines import Deadline

Document = dict[str, Any]


def _stored(at: datetime) -> datetime:
    """`at` as the store keeps it: to the millisecond."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


class MongoDeadlineStore:
    def __init__(self, db: AsyncDatabase[Document], collection: str = "deadlines") -> None:
        self._deadlines = db[collection]

    async def ensure_indexes(self) -> None:
        await self._deadlines.create_index([("due_at", ASCENDING)])

    async def set_many(self, deadlines: Sequence[Deadline]) -> None:
        requests = [
            UpdateOne(
                {"_id": d.key},
                {"$set": {"kind": d.kind, "due_at": _stored(d.due_at), "data": d.data}},
                upsert=True,
            )
            for d in deadlines
        ]
        if requests:
            outcome = await bulk_write_in_chunks(self._deadlines, requests)
            if outcome.errors:
                raise RuntimeError(f"{len(outcome.errors)} deadlines not set: {outcome.errors[0]}")

    async def cancel(self, keys: Sequence[str]) -> None:
        if keys:
            await self._deadlines.delete_many({"_id": {"$in": list(keys)}})

    async def due(self, now: datetime, limit: int) -> list[Deadline]:
        found = await self._deadlines.find(
            {"due_at": {"$lte": now}}, sort=[("due_at", ASCENDING), ("_id", ASCENDING)], limit=limit
        ).to_list()
        return [
            Deadline(
                key=doc["_id"],
                kind=doc["kind"],
                due_at=doc["due_at"].replace(tzinfo=UTC),
                data=doc.get("data") or {},
            )
            for doc in found
        ]

    async def done(self, deadline: Deadline) -> None:
        await self._deadlines.delete_one({"_id": deadline.key, "due_at": _stored(deadline.due_at)})
