"""The read side's queries: a customer's current document (through merges), search, the
timeline of a customer and everyone merged into it, and the 360 view "as of" a time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from crm_kernel.domain.merges import MAX_MERGE_HOPS
from crm_kernel.ports.keystore import KeyStore
from crm_kernel.privacy import unseal_all

from crm_projections.application.ports import (
    CustomerDocuments,
    CustomerSearch,
    Positioned,
    TimelineReader,
)
from crm_projections.domain import customer_360
from crm_projections.domain.customer_360.search import CustomerCriteria

Document = dict[str, Any]
Clock = Literal["recorded", "occurred"]


class MergedTooOften(RuntimeError):
    """A chain of merges longer than any real one: a loop, or data to look at."""


async def current_document(customers: CustomerDocuments, asked: str) -> tuple[str, Document | None]:
    """The customer's document, or its survivor's if it was merged (a merged id keeps a
    tombstone that names where it went): the surviving id and its document."""
    customer_id = asked
    for _ in range(MAX_MERGE_HOPS):
        document = await customers.get(customer_id)
        if document is None or not document.get("tombstone"):
            return customer_id, document
        customer_id = document["merged_into"]
    raise MergedTooOften(f"{asked} was merged more than {MAX_MERGE_HOPS} times")


async def history_ids(customers: CustomerDocuments, asked: str) -> tuple[str, list[str]]:
    """The surviving id and every id whose history is now part of it."""
    survivor, document = await current_document(customers, asked)
    merged = (document or {}).get("merged_from", [])
    return survivor, sorted({asked, survivor, *merged})


@dataclass(frozen=True)
class SearchPage:
    views: list[Document]
    last_id: str | None  # set when there is a next page


async def search(customers: CustomerSearch, criteria: CustomerCriteria) -> SearchPage:
    limit = criteria.limit
    found = await customers.search(replace(criteria, limit=limit + 1))
    page = found[:limit]
    more = len(found) > limit
    return SearchPage(
        views=[customer_360.public_view(doc) for doc in page],
        last_id=page[-1]["_id"] if more else None,
    )


@dataclass(frozen=True)
class TimelinePage:
    entries: list[Positioned]  # readable: unsealed for the reader
    known: bool  # whether the customer is known at all (asked only for an empty first page)
    more: bool


@dataclass(frozen=True)
class TimelineQuery:
    """One page of a timeline: entries in these contexts (None: all) that occurred in
    [since, until), after the `after` page key, at most `limit`."""

    limit: int
    contexts: list[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    after: tuple[str, str] | None = None


async def timeline(
    customers: CustomerDocuments,
    entries: TimelineReader,
    keys: KeyStore,
    asked: str,
    query: TimelineQuery,
) -> TimelinePage:
    """Every event about the customer and the customers merged into it, oldest first."""
    _, ids = await history_ids(customers, asked)
    limit, after = query.limit, query.after
    found = await entries.page(
        ids,
        contexts=query.contexts,
        since=query.since,
        until=query.until,
        after=after,
        limit=limit + 1,
    )
    known = bool(found) or after is not None or bool(await customers.load_many(ids))
    page = found[:limit]
    readable = await unseal_all([envelope for envelope, _ in page], keys)
    return TimelinePage(
        entries=[(e, at) for e, (_, at) in zip(readable, page, strict=True)],
        known=known,
        more=len(found) > limit,
    )


async def as_of(
    customers: CustomerDocuments,
    entries: TimelineReader,
    keys: KeyStore,
    asked: str,
    at: datetime,
    clock: Clock,
) -> Document | None:
    """The document as of `at`, folded by the same code as the live view: as we knew it then
    (`recorded`: events recorded by `at`), or as things stood then by all we know now
    (`occurred`: events that happened by `at`, including those recorded later)."""
    _, ids = await history_ids(customers, asked)
    if clock == "recorded":
        known = await entries.known_by(ids, at)
    else:
        everything = await entries.known_by(ids, datetime.max.replace(tzinfo=UTC))
        known = [e for e in everything if e.occurred_at <= at]
    return customer_360.as_of(asked, await unseal_all(known, keys))
