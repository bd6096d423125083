"""The one shape of every projector: it folds a batch of events into its read model through
the application's ports, idempotently (a batch may come again whole)."""

from __future__ import annotations

from typing import Protocol

from crm_kernel.domain.envelope import EventEnvelope


class Projector(Protocol):
    async def handle(self, envelopes: list[EventEnvelope]) -> None: ...
