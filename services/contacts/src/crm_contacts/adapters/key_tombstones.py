"""A one-off upgrade: tombstones for the keys of customers erased before keys had them.

Erasure used to delete the key document outright, and any context could then mint a new key
and record personal data about the erased customer again. The key store now leaves a
tombstone (`MongoKeyStore.delete`). This step gives the earlier erasures theirs. It runs in
the background once the service is up, scans the event store once for erasures, and records
in the contacts database that it is done, so later startups cost one read (ADR 13).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from crm_contacts_contracts.events import CustomerErased
from crm_kernel.adapters.mongo_keystore import MongoKeyStore
from crm_kernel.domain.envelope import utcnow
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

Document = dict[str, Any]
UPGRADE = "key-tombstones"


async def tombstone_earlier_erasures(contacts: AsyncDatabase[Document], keys: MongoKeyStore) -> int:
    """Tombstone the key of every customer the event store shows as erased and who has no
    tombstone yet; the count. Several replicas may run it at once: each step is idempotent."""
    upgrades = contacts["upgrades"]
    if await upgrades.find_one({"_id": UPGRADE}) is not None:
        return 0
    erased = {
        str(event["customer_id"])
        async for commit in contacts["events"].find(
            {"events.type": CustomerErased.event_type}, projection=["events"]
        )
        for event in commit["events"]
        if event.get("type") == CustomerErased.event_type and event.get("customer_id")
    }
    tombstoned = {
        doc["_id"] for doc in await keys.documents(erased) if "key" not in doc
    }  # keep their own erasure time
    missing = sorted(erased - tombstoned)
    for customer_id in missing:
        await keys.delete(customer_id)
    with suppress(DuplicateKeyError):  # another replica finished first
        await upgrades.insert_one(
            {"_id": UPGRADE, "done_at": utcnow().isoformat(), "customers": len(missing)}
        )
    return len(missing)
