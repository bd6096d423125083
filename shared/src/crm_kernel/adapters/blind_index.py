"""A blind index: who holds a personal value (an e-mail, a phone number), without the value.

Each entry's id is a keyed hash (HMAC-SHA256, under a key of the index's own in the key store)
of the value's kind and normal form; it lists the ids that hold the value, by role (contacts
keeps "customers"; sales keeps "leads" and "customers"). The hash is not reversible without the
key and names no one, so the index can live in any service's own database; erasure removes the
erased ids from it. Contacts and sales each keep one for their duplicate reports (ADR 6, 28).
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from crm_kernel.adapters.bulk import BulkOutcome, bulk_write_in_chunks
from crm_kernel.adapters.lookups import find_by_ids
from crm_kernel.ports.keystore import KeyStore

Document = dict[str, Any]
DUPLICATE_KEY = 11000


class MongoBlindIndex:
    def __init__(self, entries: AsyncCollection[Document], keys: KeyStore, key_owner: str) -> None:
        self._entries = entries
        self._keys = keys
        self._key_owner = key_owner
        self._key: bytes | None = None

    async def digest(self, kind: str, value: str) -> str:
        return (await self.digester())(kind, value)

    async def digester(self) -> Callable[[str, str], str]:
        """The digest as a plain function, for folding a batch without awaiting each value."""
        # The index's own key is never erased (it belongs to no customer), so it is read once.
        if self._key is None:
            self._key = await self._keys.get_or_create(self._key_owner)
        key = self._key
        return lambda kind, value: hmac.new(
            key, f"{kind}:{value}".encode(), hashlib.sha256
        ).hexdigest()

    async def holders(self, kind: str, value: str) -> dict[str, list[str]]:
        """Role -> the ids holding the value in that role."""
        return _holders(await self._entries.find_one({"_id": await self.digest(kind, value)}))

    async def add(self, kind: str, value: str, role: str, holder: str) -> dict[str, list[str]]:
        """`holder` holds the value in `role`; who held it before, by role (one round trip)."""
        digest = await self.digest(kind, value)
        try:
            before = await self._claim(digest, role, holder)
        except DuplicateKeyError:
            # FerretDB's upserts race: another writer inserted it first, now it is there.
            before = await self._claim(digest, role, holder)
        return _holders(before)

    async def _claim(self, digest: str, role: str, holder: str) -> Document | None:
        """Add the holder to the digest's entry, made if missing; the entry as it was."""
        return await self._entries.find_one_and_update(
            {"_id": digest}, {"$addToSet": {role: holder}}, upsert=True
        )

    async def drop(self, digest: str, role: str, holder: str) -> None:
        # Read, then $set: the portable subset has no $pull (DESIGN §6).
        doc = await self._entries.find_one({"_id": digest})
        if doc is not None and holder in doc.get(role, ()):
            rest = [h for h in doc[role] if h != holder]
            await self._entries.update_one({"_id": digest}, {"$set": {role: rest}})

    async def apply(
        self, role: str, held: Iterable[tuple[str, str]], released: Iterable[tuple[str, str]]
    ) -> None:
        """A batch of (digest, holder) pairs listed and unlisted in `role`, in a few bounded
        bulk commands (one read, then the writes) instead of a round trip per pair."""
        gone: dict[str, set[str]] = defaultdict(set)
        for digest, holder in released:
            gone[digest].add(holder)
        unlist: list[UpdateOne] = []
        for doc in await find_by_ids(self._entries, gone):
            holders = doc.get(role, [])
            rest = [h for h in holders if h not in gone[doc["_id"]]]
            if rest != holders:  # read, then $set: the portable subset has no $pull
                unlist.append(UpdateOne({"_id": doc["_id"]}, {"$set": {role: rest}}))
        await _written(self._entries, unlist)
        new: dict[str, set[str]] = defaultdict(set)
        for digest, holder in held:
            new[digest].add(holder)
        listed = [
            UpdateOne({"_id": d}, {"$addToSet": {role: {"$each": sorted(h)}}}, upsert=True)
            for d, h in sorted(new.items())
        ]
        if (await _written(self._entries, listed)).errors:
            # FerretDB's upserts race with a capture's own: the entries exist now, list again.
            await _written(self._entries, listed)

    async def held_by(self, role: str, holder: str) -> AsyncIterator[str]:
        """The digests of every value `holder` holds in `role` (a scan: for erasure only)."""
        async for doc in self._entries.find({role: holder}, {"_id": 1}):
            yield doc["_id"]


async def _written(entries: AsyncCollection[Document], requests: list[UpdateOne]) -> BulkOutcome:
    outcome = await bulk_write_in_chunks(entries, requests)
    if any(e.get("code") != DUPLICATE_KEY for e in outcome.errors):
        raise BulkWriteError({"writeErrors": outcome.errors})
    return outcome


def _holders(doc: Document | None) -> dict[str, list[str]]:
    return {role: list(ids) for role, ids in (doc or {}).items() if role != "_id"}
