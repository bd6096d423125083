"""The Kafka adapter of the publisher port (idempotent producer, acks=all)."""

from __future__ import annotations

import asyncio
from typing import Any, Union

from faststream.kafka import KafkaBroker
from faststream.kafka.publisher.usecase import DefaultPublisher

from crm_kernel import wire
from crm_kernel.adapters.kafka_security import broker_security
from crm_kernel.domain.envelope import EventEnvelope, topic_for
from crm_kernel.domain.events import REGISTRY


def new_broker(bootstrap_servers: str, client_id: str) -> KafkaBroker:
    # Idempotence keeps retried sends from duplicating or reordering within a partition.
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        logger=None,
        security=broker_security(),
    )


def declare_event_publisher(broker: KafkaBroker, context: str) -> DefaultPublisher:
    """The context's event topic, with its event types in the AsyncAPI document."""
    event_types = tuple(cls for cls in REGISTRY.all() if cls.context() == context)
    schema: Any = Union[event_types] if event_types else None  # noqa: UP007
    return broker.publisher(
        topic_for(context),
        title=f"{topic_for(context)}:publish",
        description=(
            f"Domain events of the {context} context (CloudEvents binary mode). Delivered at "
            "least once: deduplicate on (ce_subject, ce_streamversion), skipping every version "
            "of a subject at or below the last one applied."
        ),
        schema=schema,
    )


class TopicPublisher:
    """Publishes envelopes through one declared FastStream publisher (one topic)."""

    def __init__(self, publisher: DefaultPublisher, topic: str) -> None:
        self._publisher = publisher
        self._topic = topic

    async def publish(self, envelopes: list[EventEnvelope]) -> None:
        pending = []
        for envelope in envelopes:
            if envelope.topic != self._topic:
                raise ValueError(f"{envelope.type} does not belong on {self._topic}")
            message = wire.encode(envelope)
            # Send all, then wait for all: same-key order holds and the acks overlap.
            pending.append(
                await self._publisher.publish(
                    message.value,
                    key=message.key,
                    headers={name: value.decode() for name, value in message.headers},
                    no_confirm=True,
                )
            )
        await asyncio.gather(*pending)
