"""The lead book in the sales database: each lead's owner and whether it is open, for the
caps of round-robin (ADR 32). Fed from sales' own events on Kafka, at least once: an entry
keeps the stream version it was last set at, and an older or repeated event changes nothing."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

Document = dict[str, Any]


class MongoLeadBook:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._book = db["lead_book"]

    async def record(self, lead_id: str, version: int, fields: Document) -> None:
        # A duplicate key: the entry is at this version or later already (a redelivery).
        with contextlib.suppress(DuplicateKeyError):
            await self._book.update_one(
                {"_id": lead_id, "version": {"$lt": version}},
                {"$set": {**fields, "version": version}},
                upsert=True,
            )

    async def open_counts(self, owners: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(owners))
        found = await self._book.find(
            {"owner": {"$in": wanted}, "open": True}, projection={"owner": 1}
        ).to_list()
        return dict(Counter(doc["owner"] for doc in found))
