"""Which database the read models live in.

Readers and the live projector follow a pointer, so a rebuilt database can replace the live
one without downtime (blue/green); a rebuild writes to its own database directly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]
POINTER = "read_model_pointer"


class DatabaseSource(Protocol):
    async def get(self) -> AsyncDatabase[Document]: ...


class FixedDatabase:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._database = database

    async def get(self) -> AsyncDatabase[Document]:
        return self._database


class ActiveDatabase:
    """The database the pointer in the base database names (the base one itself by default),
    re-read at most every `ttl_s` seconds."""

    def __init__(
        self,
        client: AsyncMongoClient[Document],
        base: str,
        ttl_s: float = 1.0,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self._client = client
        self.base = base
        self._ttl_s = ttl_s
        self._cached: tuple[float, str] | None = None
        self._on_change = on_change  # told when the pointer names another database

    async def name(self) -> str:
        now = time.monotonic()
        if self._cached is None or now - self._cached[0] > self._ttl_s:
            doc = await self._client[self.base][POINTER].find_one({"_id": "active"})
            name = doc["database"] if doc else self.base
            if self._cached is not None and name != self._cached[1]:
                self._on_change()
            self._cached = (now, name)
        return self._cached[1]

    async def get(self) -> AsyncDatabase[Document]:
        return self._client[await self.name()]

    async def switch(self, database: str) -> str:
        """Point readers and the live projector at `database`; returns the previous one."""
        previous = await self.name()
        await self._client[self.base][POINTER].replace_one(
            {"_id": "active"}, {"_id": "active", "database": database}, upsert=True
        )
        self._cached = None
        return previous


class MongoDatabases:
    """The read-model databases on one MongoDB client: the live one is named by the pointer
    in `base`."""

    def __init__(
        self, client: AsyncMongoClient[Document], base: str, collections: tuple[str, ...]
    ) -> None:
        self._client = client
        self.base = base
        self._pointer = ActiveDatabase(client, base)
        self._collections = collections

    async def live(self) -> str:
        return await self._pointer.name()

    async def switch(self, database: str) -> str:
        return await self._pointer.switch(database)

    async def is_empty(self, database: str) -> bool:
        return not await self._client[database].list_collection_names()

    async def drop(self, database: str) -> None:
        await self._client.drop_database(database)

    async def drop_read_models(self, database: str) -> None:
        for name in self._collections:
            await self._client[database].drop_collection(name)
