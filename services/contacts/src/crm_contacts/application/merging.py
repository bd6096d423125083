"""Merging one customer into another: the survivor's stream tells whether it can take the
merge; the merged customer leaves the duplicate lookup."""

from __future__ import annotations

from crm_kernel.application import CommandResult
from crm_kernel.domain.envelope import Metadata

from crm_contacts.application.customers import Customers
from crm_contacts.application.ports import DuplicateLookup
from crm_contacts.domain.customer import Absorb, MergeInto


class Merging:
    def __init__(self, customers: Customers, index: DuplicateLookup) -> None:
        self._customers = customers
        self._index = index

    async def merge(self, merged_id: str, survivor_id: str, metadata: Metadata) -> CommandResult:
        survivor = await self._customers.state(survivor_id)
        command = MergeInto(
            customer_id=merged_id,
            survivor_id=survivor_id,
            survivor_registered=survivor.registered,
            survivor_gone=survivor.gone,
        )
        result = await self._customers.handle(command, metadata)
        # The merged stream's CustomerMerged is the fact; this note on the survivor follows it.
        await self._customers.handle(Absorb(customer_id=survivor_id, merged_id=merged_id), metadata)
        await self._index.forget(merged_id)
        return result
