"""The event publisher port (its Kafka adapter: crm_kernel.adapters.kafka_publisher)."""

from __future__ import annotations

from typing import Protocol

from crm_kernel.domain.envelope import EventEnvelope


class EventPublisher(Protocol):
    async def publish(self, envelopes: list[EventEnvelope]) -> None:
        """Return only once Kafka has acknowledged every event."""
        ...
