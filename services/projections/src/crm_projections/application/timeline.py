"""The timeline projector: every event about a customer, recorded once, as it travelled."""

from __future__ import annotations

from crm_kernel.domain.envelope import EventEnvelope

from crm_projections.application.ports import TimelineWriter


class TimelineProjector:
    def __init__(self, entries: TimelineWriter) -> None:
        self._entries = entries

    async def handle(self, envelopes: list[EventEnvelope]) -> None:
        about = [e for e in envelopes if e.customer_id is not None]
        if about:
            await self._entries.add(about)
