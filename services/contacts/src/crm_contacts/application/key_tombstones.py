"""A one-off upgrade: tombstones for the keys of customers erased before keys had them.

Erasure used to delete the key document outright, and any context could then mint a new key
and record personal data about the erased customer again. The key store now leaves a
tombstone (ADR 13). This step gives the earlier erasures theirs: it runs in the background
once the service is up, reads the event store once for erasures, and records that it is done,
so later startups cost one read.
"""

from __future__ import annotations

from crm_contacts_contracts.events import CustomerErased
from crm_kernel.ports.eventstore import EventStore
from crm_kernel.ports.keystore import KeyStore

from crm_contacts.application.ports import Upgrades

UPGRADE = "key-tombstones"


async def tombstone_earlier_erasures(store: EventStore, keys: KeyStore, upgrades: Upgrades) -> int:
    """Tombstone the key of every customer the event store shows as erased and who has no
    tombstone yet; the count. Several replicas may run it at once: each step is idempotent."""
    if await upgrades.is_done(UPGRADE):
        return 0
    erased = {
        event.customer_id
        async for commit in store.read_all()
        for event in commit.events
        if event.type == CustomerErased.event_type and event.customer_id
    }
    # A tombstone that exists keeps its own erasure time.
    missing = sorted([cid for cid in erased if not await keys.is_erased(cid)])
    for customer_id in missing:
        await keys.delete(customer_id)
    await upgrades.mark_done(UPGRADE, customers=len(missing))
    return len(missing)
