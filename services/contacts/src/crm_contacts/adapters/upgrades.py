"""Which one-off upgrades ran to their end, in the contacts database (`upgrades`, by name)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from crm_kernel.domain.envelope import utcnow
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError


class MongoUpgrades:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._upgrades = db["upgrades"]

    async def is_done(self, name: str) -> bool:
        return await self._upgrades.find_one({"_id": name}) is not None

    async def mark_done(self, name: str, customers: int) -> None:
        with suppress(DuplicateKeyError):  # another replica finished first
            await self._upgrades.insert_one(
                {"_id": name, "done_at": utcnow().isoformat(), "customers": customers}
            )
