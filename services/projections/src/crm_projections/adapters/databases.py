"""Which database the read models live in.

Readers and the live projector follow a pointer, so a rebuilt database can replace the live
one without downtime (blue/green); a rebuild writes to its own database directly.
"""

from __future__ import annotations

import asyncio
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
    re-read at most every `ttl_s` seconds, by one read however many callers ask meanwhile."""

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
        # The read under way: readers arriving while it runs wait for it instead of sending
        # their own (under load, every waiting reader re-read the pointer at once).
        self._reading: asyncio.Future[str] | None = None
        self._switches = 0  # a read begun before a switch answers its caller, caches nothing

    async def name(self) -> str:
        cached = self._cached
        if cached is not None and time.monotonic() - cached[0] <= self._ttl_s:
            return cached[1]
        if self._reading is None:
            self._reading = asyncio.ensure_future(self._read())
            self._reading.add_done_callback(self._read_done)
        return await asyncio.shield(self._reading)

    def _read_done(self, reading: asyncio.Future[str]) -> None:
        if self._reading is reading:
            self._reading = None
        if not reading.cancelled():
            reading.exception()  # retrieved: a failed read is every waiter's error, not a log

    async def _read(self) -> str:
        started, switches = time.monotonic(), self._switches
        doc = await self._client[self.base][POINTER].find_one({"_id": "active"})
        name = doc["database"] if doc else self.base
        if switches != self._switches:
            return name
        if self._cached is not None and name != self._cached[1]:
            self._on_change()
        self._cached = (started, name)
        return name

    async def get(self) -> AsyncDatabase[Document]:
        return self._client[await self.name()]

    async def switch(self, database: str) -> str:
        """Point readers and the live projector at `database`; returns the previous one."""
        previous = await self.name()
        await self._client[self.base][POINTER].replace_one(
            {"_id": "active"}, {"_id": "active", "database": database}, upsert=True
        )
        self._cached = None
        self._reading = None  # a read begun before the switch may answer the old database
        self._switches += 1
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
