"""The audience facts in the campaigns database (ADR 52): one document per customer, folded by
`domain.audience.learn` from contacts', sales' and campaigns' own events, at least once (each
document keeps the version applied per stream). Written with a revision check, so two
consumers never lose each other's facts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crm_kernel.adapters.bulk import bulk_write_in_chunks
from crm_kernel.domain.envelope import EventEnvelope
from pymongo import ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase

from crm_campaigns.domain import audience

Document = dict[str, Any]
MAX_FACTS = 200_000  # customers an audience is resolved over at most, read in one go


class TooManyCustomers(Exception):
    pass


class MongoAudienceFacts:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._facts = db["audience_facts"]
        self._learnt = audience.learnt_from()

    async def learn(self, envelopes: list[EventEnvelope]) -> None:
        wanted = [e for e in envelopes if e.type in self._learnt and e.customer_id]
        ids = sorted({str(e.customer_id) for e in wanted})
        if not ids:
            return
        known = {d["_id"]: d for d in await self._facts.find({"_id": {"$in": ids}}).to_list()}
        changed: dict[str, Document] = {}
        for envelope in wanted:
            customer = str(envelope.customer_id)
            before = changed.get(customer) or known.get(customer) or audience.blank(customer)
            changed[customer] = audience.learn(before, envelope)
        writes = [
            ReplaceOne(
                {"_id": c, "_rev": known[c].get("_rev", 0)} if c in known else {"_id": c},
                {**doc, "_rev": doc.get("_rev", 0) + 1},
                upsert=c not in known,
            )
            for c, doc in changed.items()
        ]
        outcome = await bulk_write_in_chunks(self._facts, writes)
        if outcome.errors or outcome.matched < sum(1 for c in changed if c in known):
            raise RuntimeError("audience facts moved meanwhile: the batch is retried")

    async def every(self) -> Iterable[Document]:
        found = await self._facts.find({}).to_list(MAX_FACTS + 1)
        if len(found) > MAX_FACTS:
            raise TooManyCustomers(f"more than {MAX_FACTS} customers: narrow the audience")
        return found
