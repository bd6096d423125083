"""Right to be forgotten (ADR 13, 14): a merged id is erased through its survivor, and erasing
a customer shreds every customer merged into it, transitively, and the leads found to be any
of them (ADR 29)."""

from __future__ import annotations

import contextlib

from crm_kernel.application import CommandResult
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import GoneError
from crm_kernel.ports.keystore import KeyStore

from crm_contacts.application.customers import Customers
from crm_contacts.application.ports import DuplicateLookup
from crm_contacts.domain.customer import EraseCustomer


class Erasure:
    def __init__(self, customers: Customers, index: DuplicateLookup, keys: KeyStore) -> None:
        self._customers = customers
        self._index = index
        self._keys = keys

    async def erase(
        self, customer_id: str, requested_by: str, reason: str, metadata: Metadata
    ) -> CommandResult:
        """Erase the person behind `customer_id`: the answer is the survivor's erasure."""
        *on_the_way, survivor = await self._customers.merge_chain(customer_id)
        command = EraseCustomer(customer_id=survivor, requested_by=requested_by, reason=reason)
        try:
            result = await self._customers.handle(command, metadata)
        except GoneError:
            if (await self._customers.state(survivor)).erased:
                # Finish an erasure cut short earlier.
                await self._shred(command, on_the_way, metadata)
            raise
        await self._shred(command, on_the_way, metadata)
        return result

    async def _shred(
        self, erasure: EraseCustomer, on_the_way: list[str], metadata: Metadata
    ) -> None:
        """Delete the keys of the erased customer and of everyone merged into it, then record
        the erasure on each merged stream too (keys first: they are what makes data gone)."""
        survivor = erasure.customer_id
        merged = list(dict.fromkeys([*on_the_way, *await self._merged_into(survivor)]))
        for cid in (survivor, *merged):
            # The keys of converted leads found to be them (ADR 29) seal their data too.
            for prospect in sorted((await self._customers.state(cid)).prospects):
                await self._keys.delete(prospect)
            await self._keys.delete(cid)
            # Sealed under that key, a snapshot is unreadable now; dropping it is tidying.
            await self._customers.drop_snapshot(cid)
        for cid in merged:
            with contextlib.suppress(GoneError):  # recorded by an erasure cut short earlier
                await self._customers.handle(
                    erasure.model_copy(update={"customer_id": cid, "survivor_id": survivor}),
                    metadata,
                )
        for cid in (survivor, *merged):
            await self._index.forget(cid)

    async def _merged_into(self, survivor_id: str) -> list[str]:
        """Every customer merged into `survivor_id`, directly or through another merge."""
        found: list[str] = []
        todo = [survivor_id]
        while todo:
            for cid in sorted((await self._customers.state(todo.pop())).absorbed):
                if cid != survivor_id and cid not in found:
                    found.append(cid)
                    todo.append(cid)
        return found
