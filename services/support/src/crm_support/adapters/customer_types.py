"""What type each customer is (consumer, business...), in the support database, for choosing
a case's service level (ADR 48). Learnt from contacts' published events, at least once: a
registration sets it, and a repeat sets the same."""

from __future__ import annotations

from typing import Any

from crm_contacts_contracts.events import CustomerRegistered
from crm_kernel.adapters.bulk import bulk_write_in_chunks
from crm_kernel.domain.envelope import EventEnvelope
from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]
LEARNT_FROM = CustomerRegistered.event_type


class MongoCustomerTypes:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._types = db["customer_types"]

    async def learn(self, envelopes: list[EventEnvelope]) -> None:
        writes = [
            UpdateOne(
                {"_id": e.data["customer_id"]},
                {"$set": {"type": e.data["customer_type"]}},
                upsert=True,
            )
            for e in envelopes
            if e.type == LEARNT_FROM
        ]
        outcome = await bulk_write_in_chunks(self._types, writes)
        if outcome.errors:  # an upsert race between two instances: redelivered, then set
            raise RuntimeError(f"customer types not recorded: {outcome.errors[0].get('errmsg')}")

    async def type_of(self, customer_id: str) -> str | None:
        found = await self._types.find_one({"_id": customer_id})
        return None if found is None else str(found["type"])
