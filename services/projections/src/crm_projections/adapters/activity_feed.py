"""An owner's activities on MongoDB, for the calendar feed."""

from __future__ import annotations

from typing import Any

from crm_projections.adapters.read_store import MongoReadStore

Document = dict[str, Any]


class MongoActivityFeed:
    def __init__(self, store: MongoReadStore) -> None:
        self._store = store

    async def of_owner(self, owner: str, limit: int) -> list[Document]:
        """The owner's activities by start, at most `limit`."""
        return await self._store.find({"owner": owner}, sort=[("starts_at", 1)], limit=limit)
