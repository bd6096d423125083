"""Sales' blind index of e-mails and phones (crm_sales.application.ports.LeadLookup) in its own
MongoDB database: the kernel's keyed hashes, never the values (ADR 28).

`lead_points` entries list the leads and the customers that hold a value; `customer_points`
remembers, per customer, which entry each of its contact points is in, since contacts' removal
of a point names the point, not its value.
"""

from __future__ import annotations

from typing import Any

from crm_kernel.adapters.blind_index import MongoBlindIndex
from crm_kernel.ports.keystore import KeyStore
from pymongo.asynchronous.database import AsyncDatabase

from crm_sales.application.ports import Lookalikes

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

    async def add_customer_point(
        self, customer_id: str, point_id: str, kind: str, value: str
    ) -> None:
        await self._values.add(kind, value, CUSTOMERS, customer_id)
        digest = await self._values.digest(kind, value)
        doc = await self._points.find_one({"_id": customer_id}) or {"points": []}
        points = [p for p in doc["points"] if p["point_id"] != point_id]
        points.append({"point_id": point_id, "digest": digest})
        await self._points.update_one(
            {"_id": customer_id}, {"$set": {"points": points}}, upsert=True
        )

    async def remove_customer_point(self, customer_id: str, point_id: str) -> None:
        doc = await self._points.find_one({"_id": customer_id})
        if doc is None:
            return
        rest = [p for p in doc["points"] if p["point_id"] != point_id]
        kept = {p["digest"] for p in rest}  # a mobile may also be the WhatsApp number
        for point in doc["points"]:
            if point["point_id"] == point_id and point["digest"] not in kept:
                await self._values.drop(point["digest"], CUSTOMERS, customer_id)
        await self._points.update_one({"_id": customer_id}, {"$set": {"points": rest}})

    async def forget_customer(self, customer_id: str) -> None:
        doc = await self._points.find_one({"_id": customer_id})
        for point in doc["points"] if doc else ():
            await self._values.drop(point["digest"], CUSTOMERS, customer_id)
        await self._points.delete_one({"_id": customer_id})
