"""Every read model of the projections service, in one database (live or a rebuild)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.privacy import KeyStore

from crm_projections.adapters.databases import DatabaseSource
from crm_projections.adapters.read_store import MongoReadStore, MongoRedirects
from crm_projections.adapters.timeline_store import TimelineStore
from crm_projections.application.documents import DocumentProjector
from crm_projections.application.projector import Customer360Projector, ReadStore
from crm_projections.domain import activities

COLLECTIONS = ("customer_360", "customer_redirects", "activities", "timeline")


@dataclass(frozen=True)
class ReadModels:
    customers: MongoReadStore
    redirects: MongoRedirects
    activities: MongoReadStore
    timeline: TimelineStore

    @classmethod
    def on(cls, source: DatabaseSource) -> ReadModels:
        return cls(
            customers=MongoReadStore(source, "customer_360"),
            redirects=MongoRedirects(source, "customer_redirects"),
            activities=MongoReadStore(source, "activities"),
            timeline=TimelineStore(source, "timeline"),
        )


class Projectors:
    """Folds one batch into every read model; each step is idempotent on its own."""

    def __init__(
        self,
        models: ReadModels,
        keys: KeyStore,
        customers: ReadStore | None = None,
        activity_docs: ReadStore | None = None,
        on_written: Callable[[Iterable[str]], None] = lambda ids: None,
    ) -> None:
        self.customer_360 = Customer360Projector(
            customers or models.customers, models.redirects, keys, on_written
        )
        self._activities = DocumentProjector(
            activity_docs or models.activities, activities.key, activities.empty, activities.fold
        )
        self._timeline = models.timeline

    async def handle(self, envelopes: list[EventEnvelope]) -> None:
        await self.customer_360.handle(envelopes)
        await self._activities.handle(envelopes)
        await self._timeline.handle(envelopes)
