"""Per-customer data keys in a MongoDB collection (the default key store)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bson.binary import Binary
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from crm_kernel.adapters.lookups import find_by_ids
from crm_kernel.domain.envelope import utcnow
from crm_kernel.privacy import new_key


class MongoKeyStore:
    def __init__(
        self, db: AsyncDatabase[dict[str, Any]], collection: str = "customer_keys"
    ) -> None:
        self._keys = db[collection]

    async def get_or_create(self, customer_id: str) -> bytes:
        found = await self._keys.find_one({"_id": customer_id})
        if found is not None:
            return bytes(found["key"])
        key = new_key()
        try:
            await self._keys.insert_one(
                {"_id": customer_id, "key": Binary(key), "created_at": utcnow().isoformat()}
            )
        except DuplicateKeyError:
            # Another writer created it first: everyone must use the same key.
            found = await self._keys.find_one({"_id": customer_id})
            if found is None:
                raise
            return bytes(found["key"])
        return key

    async def get_many(self, customer_ids: Iterable[str]) -> dict[str, bytes]:
        return {
            doc["_id"]: bytes(doc["key"]) for doc in await find_by_ids(self._keys, customer_ids)
        }

    async def delete(self, customer_id: str) -> bool:
        result = await self._keys.delete_one({"_id": customer_id})
        return result.deleted_count == 1
