"""Every read model of the projections service, in one database (live or a rebuild)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.ports.keystore import KeyStore

from crm_projections.adapters.databases import DatabaseSource
from crm_projections.adapters.read_store import MongoReadStore, MongoRedirects
from crm_projections.adapters.timeline_store import TimelineStore
from crm_projections.application.documents import DocumentProjector
from crm_projections.application.projector import Customer360Projector, ReadStore
from crm_projections.domain import activities

Document = dict[str, Any]
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
        on_written: Callable[[Mapping[str, Document]], None] = lambda written: None,
    ) -> None:
        self.customer_360 = Customer360Projector(
            customers or models.customers, models.redirects, keys, on_written
        )
        self._activities = DocumentProjector(
            activity_docs or models.activities, activities.key, activities.empty, activities.fold
        )
        self._timeline = models.timeline

    async def handle(self, envelopes: list[EventEnvelope]) -> None:
        # The read models do not depend on each other: their round trips overlap. If one
        # fails the others are cancelled, and the batch is retried whole (each is idempotent).
        async with asyncio.TaskGroup() as group:
            group.create_task(self.customer_360.handle(envelopes))
            group.create_task(self._activities.handle(envelopes))
            group.create_task(self._timeline.handle(envelopes))
