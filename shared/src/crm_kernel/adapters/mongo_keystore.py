"""Per-customer data keys in a MongoDB collection (the default key store).

Erasing a customer replaces the key with a tombstone instead of deleting the document: a
later command about that customer (an order from another context, a registration that
reuses the id) then fails with GoneError instead of quietly minting a new key and recording
personal data again."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bson.binary import Binary
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from crm_kernel.adapters.lookups import find_by_ids
from crm_kernel.domain.envelope import utcnow
from crm_kernel.domain.errors import GoneError
from crm_kernel.privacy import new_key


class MongoKeyStore:
    def __init__(
        self, db: AsyncDatabase[dict[str, Any]], collection: str = "customer_keys"
    ) -> None:
        self._keys = db[collection]

    async def get_or_create(self, customer_id: str, likely_new: bool = False) -> bytes:
        if not likely_new:
            found = await self._keys.find_one({"_id": customer_id})
            if found is not None:
                return _key_of(found)
        # The unique `_id` refuses a second key, and a tombstone: then the stored one answers.
        key = new_key()
        try:
            await self._keys.insert_one(
                {"_id": customer_id, "key": Binary(key), "created_at": utcnow().isoformat()}
            )
        except DuplicateKeyError:
            # There was one (or a tombstone), or another writer created it first: everyone
            # must use the same key.
            found = await self._keys.find_one({"_id": customer_id})
            if found is None:
                raise
            return _key_of(found)
        return key

    async def get_many(self, customer_ids: Iterable[str]) -> dict[str, bytes]:
        return {
            doc["_id"]: bytes(doc["key"])
            for doc in await find_by_ids(self._keys, customer_ids)
            if "key" in doc
        }

    async def is_erased(self, customer_id: str) -> bool:
        found = await self._keys.find_one({"_id": customer_id})
        return found is not None and "key" not in found

    async def delete(self, customer_id: str) -> bool:
        tombstone = {"_id": customer_id, "erased_at": utcnow().isoformat()}
        try:
            before = await self._keys.find_one_and_replace(
                {"_id": customer_id}, tombstone, upsert=True
            )
        except DuplicateKeyError:
            # FerretDB's upsert is not atomic: a key made meanwhile won the insert. Replace it.
            before = await self._keys.find_one_and_replace({"_id": customer_id}, tombstone)
        return before is not None and "key" in before


def _key_of(document: dict[str, Any]) -> bytes:
    if "key" not in document:
        raise GoneError(
            f"customer {document['_id']} was erased: nothing more is recorded about them"
        )
    return bytes(document["key"])
