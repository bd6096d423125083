"""A work book in a context's database: each piece of work's owner and whether it is open,
for the caps of a team's routing (sales' lead book, ADR 32; support's case book, ADR 49). Fed
from the context's own events on Kafka, at least once: an entry keeps the stream version it
was last set at, and an older or repeated event changes nothing."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.domain.work_book import WorkBookRules

Document = dict[str, Any]


class MongoWorkBook:
    def __init__(self, db: AsyncDatabase[Document], collection: str) -> None:
        self._book = db[collection]

    async def record(self, work_id: str, version: int, fields: Document) -> None:
        # A duplicate key: the entry is at this version or later already (a redelivery).
        with contextlib.suppress(DuplicateKeyError):
            await self._book.update_one(
                {"_id": work_id, "version": {"$lt": version}},
                {"$set": {**fields, "version": version}},
                upsert=True,
            )

    async def record_all(self, envelopes: list[EventEnvelope], rules: WorkBookRules) -> None:
        for envelope in envelopes:
            found = rules.entry_of(envelope)
            if found is not None:
                await self.record(found[0], envelope.stream_version, found[1])

    async def open_counts(self, owners: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(owners))
        found = await self._book.find(
            {"owner": {"$in": wanted}, "open": True}, projection={"owner": 1}
        ).to_list()
        return dict(Counter(doc["owner"] for doc in found))
