"""The revocation list of bearer tokens: one document per revoked token id, in the vault
database every service reaches (CRM_VAULT_DATABASE). An entry matters only until its token
expires, so readers take the live ones and a revocation prunes the others."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

COLLECTION = "revoked_tokens"


class MongoRevocations:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], collection: str = COLLECTION) -> None:
        self._revoked = db[collection]

    async def revoke(self, token_id: str, expires_at: datetime, now: datetime) -> None:
        await self._revoked.update_one(
            {"_id": token_id},
            {"$set": {"expires_at": expires_at, "revoked_at": now}},
            upsert=True,
        )
        await self._revoked.delete_many({"expires_at": {"$lte": now}})

    async def active(self, now: datetime) -> frozenset[str]:
        """The ids of revoked tokens that have not expired yet."""
        cursor = self._revoked.find({"expires_at": {"$gt": now}}, {"_id": 1})
        return frozenset([str(document["_id"]) async for document in cursor])
