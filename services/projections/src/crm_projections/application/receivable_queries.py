"""The receivables read model as finance and the 360 view query it: a customer's account on a
day (with every account merged into theirs), every account's standing, and the totals per
currency and ageing bucket, now or as they stood at a time (domain.receivables)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from crm_projections.application.pipeline_queries import DealDocuments, TooManyToRead, When
from crm_projections.domain import receivables
from crm_projections.domain.receivables import BUCKETS, Standing
from crm_projections.domain.wire_values import json_decimal

Document = dict[str, Any]
MAX_ACCOUNTS = 50_000


class AccountDocuments(DealDocuments, Protocol):
    async def load_many(self, ids: list[str]) -> dict[str, Document]: ...


def _entries(doc: Document, when: When) -> list[Document]:
    return receivables.entries(doc, when.at if when.as_of else None, when.basis)


def _standing(docs: Iterable[Document], when: When, day: date) -> Standing:
    entries = [entry for doc in docs for entry in _entries(doc, when)]
    return receivables.standing(receivables.events_of(entries), day)


async def account(
    store: AccountDocuments, ids: list[str], when: When, day: date
) -> Standing | None:
    """The accounts of `ids` (a customer and those merged into it) as one, on `day`; None if
    none of them had an account event by then."""
    docs = [doc for doc in (await store.load_many(ids)).values() if _entries(doc, when)]
    return _standing(docs, when, day) if docs else None


def brief(standing: Standing) -> Document:
    """What the 360 view shows of the account: the standing without its invoices."""
    return {k: v for k, v in asdict(standing).items() if k != "invoices"}


async def every_account(store: AccountDocuments, when: When, day: date) -> list[Document]:
    """Every account with an event by then, by customer id, in brief."""
    docs = await store.find({}, sort=[("_id", 1)], limit=MAX_ACCOUNTS + 1)
    if len(docs) > MAX_ACCOUNTS:
        raise TooManyToRead(f"more than {MAX_ACCOUNTS} accounts: narrow the query")
    return [
        {"customer_id": doc["_id"], **brief(_standing([doc], when, day))}
        for doc in docs
        if _entries(doc, when)
    ]


@dataclass(frozen=True)
class Totals:
    day: str
    accounts: int
    accounts_overdue: int
    open: dict[str, str]
    overdue: dict[str, str]
    ageing: dict[str, dict[str, str]]
    credit: dict[str, str]


def _sum(rows: Iterable[dict[str, str]]) -> dict[str, str]:
    sums: dict[str, Decimal] = {}
    for row in rows:
        for currency, amount in row.items():
            sums[currency] = sums.get(currency, Decimal(0)) + Decimal(amount)
    return {c: json_decimal(v) for c, v in sorted(sums.items())}


def totals(accounts: list[Document], day: date) -> Totals:
    currencies = sorted({c for a in accounts for c in a["ageing"]})
    return Totals(
        day=day.isoformat(),
        accounts=len(accounts),
        accounts_overdue=sum(1 for a in accounts if a["overdue"]),
        open=_sum(a["open"] for a in accounts),
        overdue=_sum(a["overdue"] for a in accounts),
        ageing={
            c: {b: v for b, v in zip(BUCKETS, _bucket_sums(accounts, c), strict=True)}
            for c in currencies
        },
        credit=_sum(a["credit"] for a in accounts),
    )


def _bucket_sums(accounts: list[Document], currency: str) -> list[str]:
    return [
        json_decimal(
            sum((Decimal(a["ageing"].get(currency, {}).get(b, "0")) for a in accounts), Decimal(0))
        )
        for b in BUCKETS
    ]
