"""What the application needs of the outside world: the read-model stores, the redirects of
merged customers, the timeline, and which customers this instance projects. Adapters
implement these structurally, without importing them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from crm_kernel.domain.envelope import EventEnvelope

from crm_projections.domain.customer_360.search import CustomerCriteria

Document = dict[str, Any]
# A timeline entry as an envelope, with its position: the page key the next page starts after.
Positioned = tuple[EventEnvelope, tuple[str, str]]


class ReadStore(Protocol):
    """Documents by id, written with optimistic concurrency (`_rev`)."""

    async def load_many(self, ids: list[str]) -> dict[str, Document]: ...

    async def save_many(self, changed: dict[str, tuple[int, Document]]) -> set[str]:
        """Write each (expected revision, document); the ids that lost a race."""
        ...


class Redirects(Protocol):
    async def resolve_many(self, ids: list[str]) -> dict[str, str]: ...

    async def save(self, merged_id: str, survivor_id: str) -> None: ...


class CustomerDocuments(Protocol):
    async def get(self, id_: str) -> Document | None: ...

    async def load_many(self, ids: list[str]) -> dict[str, Document]: ...


class CustomerSearch(Protocol):
    async def search(self, criteria: CustomerCriteria) -> list[Document]: ...


class TimelineWriter(Protocol):
    async def add(self, envelopes: list[EventEnvelope]) -> None:
        """Record each envelope once (a redelivery changes nothing)."""
        ...


class TimelineReader(Protocol):
    async def page(
        self,
        customer_ids: list[str],
        *,
        contexts: list[str] | None,
        since: datetime | None,
        until: datetime | None,
        after: tuple[str, str] | None,
        limit: int,
    ) -> list[Positioned]: ...

    async def known_by(self, customer_ids: list[str], at: datetime) -> list[EventEnvelope]:
        """Every entry recorded up to `at`, as it was sealed."""
        ...


class ActivityFeed(Protocol):
    async def of_owner(self, owner: str, limit: int) -> list[Document]: ...


class Ownership(Protocol):
    def projects(self, customer_id: str) -> bool: ...
