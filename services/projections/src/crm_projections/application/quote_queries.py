"""The quotes read model as sales managers query it: quotes now or as they stood at a time,
each with its status on the day asked for (a sent quote past its last valid day reads as
expired), and the day's summary: open and expiring quotes with their nets, and the acceptance
rate (domain.quotes). A quote's title is opened for the reader (sealed as it travelled)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from crm_kernel.ports.keystore import KeyStore
from crm_kernel.privacy import decrypt_value

from crm_projections.application.pipeline_queries import DealDocuments, TooManyToRead, When
from crm_projections.domain import quotes
from crm_projections.domain.quotes import Quote
from crm_projections.domain.wire_values import json_decimal

Document = dict[str, Any]
MAX_QUOTES = 50_000
QuoteDocuments = DealDocuments  # a read model found by query, as the deals are


@dataclass(frozen=True)
class QuoteFilter:
    customer_id: str | None = None
    opportunity_id: str | None = None
    status: str | None = None  # as on the day asked for: expired included

    def holds(self, quote: Quote) -> bool:
        return all(
            wanted is None or quote[field] == wanted
            for field, wanted in (
                ("customer_id", self.customer_id),
                ("opportunity_id", self.opportunity_id),
                ("status", self.status),
            )
        )


async def every_quote(store: QuoteDocuments, when: When, day: date) -> list[Quote]:
    """Every quote, by id, as it is or stood at `when`, its status that of `day`."""
    docs = await store.find({}, sort=[("_id", 1)], limit=MAX_QUOTES + 1)
    if len(docs) > MAX_QUOTES:
        raise TooManyToRead(f"more than {MAX_QUOTES} quotes: narrow the query")
    found = (
        quotes.as_of(doc, when.at, when.basis) if when.as_of else quotes.now(doc) for doc in docs
    )
    return [quote | {"status": quotes.status_on(quote, day)} for quote in found if quote]


async def open_quotes(store: QuoteDocuments, ids: list[str], when: When, day: date) -> Document:
    """The customers' quotes open on `day` (sent, not expired): how many, their nets per
    currency; what the 360 view shows of them."""
    docs = await store.find({"customer_id": {"$in": ids}}, sort=[("_id", 1)], limit=MAX_QUOTES)
    found = (
        quotes.as_of(doc, when.at, when.basis) if when.as_of else quotes.now(doc) for doc in docs
    )
    open_ = [q for q in found if q and quotes.status_on(q, day) == "sent"]
    net: dict[str, Decimal] = {}
    for quote in open_:
        net[quote["currency"]] = net.get(quote["currency"], Decimal(0)) + Decimal(quote["net"])
    return {"count": len(open_), "net": {c: json_decimal(v) for c, v in sorted(net.items())}}


async def readable(found: list[Quote], keys: KeyStore) -> list[Quote]:
    """The quotes with their title opened (ERASED once the customer is)."""
    opened = await keys.get_many({q["customer_id"] for q in found})
    return [
        quote
        | {
            "title": decrypt_value(
                opened.get(quote["customer_id"]), quote["customer_id"], "title", quote["title"]
            )
        }
        for quote in found
    ]
