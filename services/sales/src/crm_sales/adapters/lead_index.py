"""Sales' blind index of e-mails and phones (crm_sales.application.ports.LeadLookup) in its own
MongoDB database: the kernel's keyed hashes, never the values (ADR 28).

`lead_points` entries list the leads and the customers that hold a value; `customer_points`
remembers, per customer, which entry each of its contact points is in, since contacts' removal
of a point names the point, not its value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crm_kernel.adapters.blind_index import MongoBlindIndex
from crm_kernel.adapters.bulk import bulk_write_in_chunks
from crm_kernel.adapters.lookups import find_by_ids
from crm_kernel.ports.keystore import KeyStore
from pymongo import DeleteOne, ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from crm_sales.application.ports import Lookalikes
from crm_sales.domain.customer_points import Change, plan_index

LOOKUP_KEY_OWNER = "lookup:sales-duplicates"
LEADS, CUSTOMERS = "leads", "customers"  # the roles in the index's entries
Document = dict[str, Any]


class MongoLeadIndex:
    def __init__(self, db: AsyncDatabase[Document], keys: KeyStore) -> None:
        self._values = MongoBlindIndex(db["lead_points"], keys, LOOKUP_KEY_OWNER)
        self._points = db["customer_points"]

    async def lookalikes(self, kind: str, value: str) -> Lookalikes:
        holders = await self._values.holders(kind, value)
        return Lookalikes(leads=holders.get(LEADS, []), customers=holders.get(CUSTOMERS, []))

    async def add_lead(self, lead_id: str, kind: str, value: str) -> None:
        await self._values.add(kind, value, LEADS, lead_id)

    async def forget_lead(self, lead_id: str) -> None:
        async for digest in self._values.held_by(LEADS, lead_id):
            await self._values.drop(digest, LEADS, lead_id)

    async def learn_customers(self, changes: Sequence[Change]) -> None:
        """A batch of contacts' changes in four bulk commands at most: the customers' points
        are read at once and folded in memory (crm_sales.domain.customer_points.plan_index);
        the value entries are written before the points, so a batch retried after a crash
        between the two finds the entries right and repairs the rest."""
        if not changes:
            return
        found = await find_by_ids(self._points, {c.customer_id for c in changes})
        before = {d["_id"]: {p["point_id"]: p["digest"] for p in d["points"]} for d in found}
        plan = plan_index(before, changes, await self._values.digester())
        await self._values.apply(CUSTOMERS, plan.held, plan.released)
        writes: list[ReplaceOne[Document] | DeleteOne] = [
            DeleteOne({"_id": cid})
            if points is None
            else ReplaceOne({"_id": cid}, {"points": _listed(points)}, upsert=True)
            for cid, points in sorted(plan.points.items())
        ]
        outcome = await bulk_write_in_chunks(self._points, writes)
        if outcome.errors:
            raise BulkWriteError({"writeErrors": outcome.errors})


def _listed(points: dict[str, str]) -> list[Document]:
    return [{"point_id": pid, "digest": digest} for pid, digest in sorted(points.items())]
