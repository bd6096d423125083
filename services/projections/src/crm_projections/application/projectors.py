"""Every read model's projector, fed one batch together."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.ports.keystore import KeyStore

from crm_projections.application.customer_360 import Customer360Projector
from crm_projections.application.documents import DocumentProjector
from crm_projections.application.ports import ReadStore, Redirects, TimelineWriter
from crm_projections.application.projector import Projector
from crm_projections.application.timeline import TimelineProjector
from crm_projections.domain import (
    activities,
    campaign_results,
    leads,
    opportunities,
    quotes,
    receivables,
    service_levels,
)

Document = dict[str, Any]


@dataclass(frozen=True)
class DocumentStores:
    """The read models of one document per key and no cross-document rules."""

    activities: ReadStore
    opportunities: ReadStore
    leads: ReadStore
    quotes: ReadStore
    receivables: ReadStore
    service_levels: ReadStore
    campaign_results: ReadStore


class Projectors:
    """Folds one batch into every read model; each step is idempotent on its own."""

    def __init__(
        self,
        *,
        customers: ReadStore,
        redirects: Redirects,
        documents: DocumentStores,
        timeline: TimelineWriter,
        keys: KeyStore,
        on_written: Callable[[Mapping[str, Document]], None] = lambda written: None,
    ) -> None:
        self.customer_360 = Customer360Projector(customers, redirects, keys, on_written)
        self._all: tuple[Projector, ...] = (
            self.customer_360,
            *(
                DocumentProjector(store, model.key, model.empty, model.fold)
                for store, model in (
                    (documents.activities, activities),
                    (documents.opportunities, opportunities),
                    (documents.leads, leads),
                    (documents.quotes, quotes),
                    (documents.receivables, receivables),
                    (documents.service_levels, service_levels),
                    (documents.campaign_results, campaign_results),
                )
            ),
            TimelineProjector(timeline),
        )

    async def handle(self, envelopes: list[EventEnvelope]) -> None:
        # The read models do not depend on each other: their round trips overlap. If one
        # fails the others are cancelled, and the batch is retried whole (each is idempotent).
        async with asyncio.TaskGroup() as group:
            for projector in self._all:
                group.create_task(projector.handle(envelopes))
