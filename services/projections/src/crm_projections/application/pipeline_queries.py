"""The opportunities read model as managers query it: deals now or as they stood at a time,
filtered; the pipeline, forecast and win rate over them (domain.pipeline); a deal's name and
lost note opened for the reader (sealed as they travelled, ERASED once the customer is).

Metrics are folded in Python over the deals (FerretDB has no aggregation stages worth the
name); `MAX_DEALS` bounds how many one query reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from crm_kernel.ports.keystore import KeyStore
from crm_kernel.privacy import decrypt_value

from crm_projections.domain import opportunities, pipeline
from crm_projections.domain.opportunities import Basis, Deal

Document = dict[str, Any]
MAX_DEALS = 50_000
# Each sealed field of a deal, and the event field its ciphertext is bound to.
SEALED = {"name": "name", "lost_note": "note"}


class TooManyToRead(RuntimeError):
    pass


class DealDocuments(Protocol):
    async def find(
        self, query: Document, sort: list[tuple[str, int]], limit: int
    ) -> list[Document]: ...


@dataclass(frozen=True)
class DealFilter:
    """Which deals: every field given must match (as of the time asked, if any)."""

    customer_id: str | None = None
    owner: str | None = None
    team: str | None = None
    stage: str | None = None
    status: str | None = None
    pipeline: str | None = None
    close_from: str | None = None  # expected close on or after (YYYY-MM-DD)
    close_to: str | None = None  # expected close before

    def holds(self, deal: Deal) -> bool:
        for field in ("customer_id", "owner", "team", "stage", "status", "pipeline"):
            wanted = getattr(self, field)
            if wanted is not None and deal[field] != wanted:
                return False
        close = deal["expected_close"]
        if self.close_from is not None and close < self.close_from:
            return False
        return self.close_to is None or close < self.close_to


@dataclass(frozen=True)
class When:
    """`at`: an `instant`; `as_of`: whether the deals are read as they stood then (else now,
    `at` being the time they are read at, for days in stage)."""

    at: str
    as_of: bool = False
    basis: Basis = "recorded"


async def deals(store: DealDocuments, which: DealFilter, when: When) -> list[Deal]:
    """The deals that match, by id: as they are, or as they stood at `when.at`, each with
    its learned probability (and priced by it where its pipeline says)."""
    return [deal for deal in (await _every(store, when))[1] if which.holds(deal)]


async def _every(store: DealDocuments, when: When) -> tuple[dict[str, Document], list[Deal]]:
    """Every deal document by id, and every deal (as of `when`) priced: the learned
    probability needs them all."""
    docs = await store.find({}, sort=[("_id", 1)], limit=MAX_DEALS + 1)
    if len(docs) > MAX_DEALS:
        raise TooManyToRead(f"more than {MAX_DEALS} opportunities: narrow the query")
    every = [
        deal
        for doc in docs
        if (
            deal := opportunities.as_of(doc, when.at, when.basis)
            if when.as_of
            else opportunities.now(doc)
        )
    ]
    return {doc["_id"]: doc for doc in docs}, pipeline.with_learned(every)


async def readable(deals_found: list[Deal], keys: KeyStore) -> list[Deal]:
    """The deals with their name and lost note opened for the reader."""
    found = await keys.get_many({d["customer_id"] for d in deals_found})
    return [
        deal
        | {
            field: decrypt_value(
                found.get(deal["customer_id"]), deal["customer_id"], bound, deal[field]
            )
            for field, bound in SEALED.items()
        }
        | ({"weighted_amount": str(pipeline.weighted(deal))} if pipeline.is_open(deal) else {})
        for deal in deals_found
    ]


async def deal(
    store: DealDocuments, keys: KeyStore, opportunity_id: str, when: When
) -> Document | None:
    """One deal, readable, with the stages it went through and its history (both times of
    every change: the audit trail)."""
    docs, every = await _every(store, when)  # one read serves the deal and its history
    doc = docs.get(opportunity_id)
    found = [d for d in every if d["opportunity_id"] == opportunity_id]
    if doc is None or not found:
        return None
    [open_] = await readable(found, keys)
    history = [
        {k: v for k, v in entry.items() if k != "set"}
        | {"changes": {f: v for f, v in entry["set"].items() if f not in SEALED}}
        for entry in doc["history"]
    ]
    stages = [{"stage": s, "entered_at": at} for s, at in opportunities.stage_history(doc)]
    return open_ | {"stages": stages, "history": history}
