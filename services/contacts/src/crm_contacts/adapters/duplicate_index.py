"""Lookup of likely duplicates: who else has this e-mail or phone, who else in this
organisation has a similar name.

E-mails and phones are personal data, so the index holds keyed hashes (HMAC-SHA256 under a
key kept in the key store: the kernel's blind index), never the values. Names of an
organisation's contacts are kept sealed under each person's own key: erasing a person leaves
nothing readable behind. The index is derived from the contacts event store and can be
rebuilt from it.
"""

from __future__ import annotations

from typing import Any

from crm_kernel.adapters.blind_index import MongoBlindIndex
from crm_kernel.domain.events import ERASED
from crm_kernel.ports.keystore import KeyStore
from crm_kernel.privacy import decrypt_value, encrypt_value
from pymongo.asynchronous.database import AsyncDatabase

from crm_contacts.domain.duplicates import similar

LOOKUP_KEY_OWNER = "lookup:contacts-duplicates"
CUSTOMERS = "customers"  # the role of the ids in the index's entries
Document = dict[str, Any]


class MongoDuplicateIndex:
    """The duplicate lookup (crm_contacts.application.ports.DuplicateLookup) in MongoDB."""

    def __init__(self, db: AsyncDatabase[Document], keys: KeyStore) -> None:
        self._values = MongoBlindIndex(db["duplicate_values"], keys, LOOKUP_KEY_OWNER)
        self._members = db["organisation_members"]
        self._keys = keys

    async def add_value(self, customer_id: str, kind: str, value: str) -> list[str]:
        return (await self._values.add(kind, value, CUSTOMERS, customer_id)).get(CUSTOMERS, [])

    async def remove_value(self, customer_id: str, kind: str, value: str) -> None:
        await self._values.drop(await self._values.digest(kind, value), CUSTOMERS, customer_id)

    async def similar_members(self, organisation_id: str, name: str) -> list[str]:
        doc = await self._members.find_one({"_id": organisation_id})
        if not doc:
            return []
        owners = [m["customer_id"] for m in doc["members"]]
        keys = await self._keys.get_many(owners)
        found: list[str] = []
        for member in doc["members"]:
            cid = member["customer_id"]
            other = decrypt_value(keys.get(cid), cid, "name", member["name"])
            if other != ERASED and similar(str(other), name):
                found.append(cid)
        return found

    async def add_member(self, organisation_id: str, customer_id: str, name: str) -> None:
        sealed = encrypt_value(
            await self._keys.get_or_create(customer_id), customer_id, "name", name
        )
        doc = await self._members.find_one({"_id": organisation_id}) or {"members": []}
        members = [m for m in doc["members"] if m["customer_id"] != customer_id]
        members.append({"customer_id": customer_id, "name": sealed})
        await self._members.update_one(
            {"_id": organisation_id}, {"$set": {"members": members}}, upsert=True
        )

    async def remove_member(self, organisation_id: str, customer_id: str) -> None:
        doc = await self._members.find_one({"_id": organisation_id})
        if doc is not None:
            members = [m for m in doc["members"] if m["customer_id"] != customer_id]
            await self._members.update_one({"_id": organisation_id}, {"$set": {"members": members}})

    async def forget(self, customer_id: str) -> None:
        """Remove the customer from every entry (erasure, or merged away)."""
        async for digest in self._values.held_by(CUSTOMERS, customer_id):
            await self._values.drop(digest, CUSTOMERS, customer_id)
        async for doc in self._members.find({"members.customer_id": customer_id}):
            await self.remove_member(doc["_id"], customer_id)
