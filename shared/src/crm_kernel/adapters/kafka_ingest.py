"""Kafka ingest topics: raw JSON from outside systems (a call centre, a web form, a marketing
tool), taken in one message at a time, the same way for every context.

Each message is validated against the ingest's model and deduplicated by the sender's
`(source, external_id)` (the context derives its id from them, `crm_kernel.domain.senders`); a
refused message goes to the rejected topic with the reason in its headers and its personal
fields withheld (`keep_only`), and the consumer moves on. Offsets are committed after the
message was handled, so nothing is lost on a crash; committed records are then deleted from
the ingest topic, which holds personal data in clear (ADR 18, `keep_purging`). Every ingest
consumer is watched (ADR 24).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import structlog
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crm_kernel.adapters.kafka_handoff import keep_only, keep_purging
from crm_kernel.adapters.kafka_subscriber import DeadLetterSink, KafkaDeadLetters
from crm_kernel.adapters.kafka_watchdog import WatchedConsumer, watched_subscriber
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import ConflictError, DomainError
from crm_kernel.request_body import Line
from crm_kernel.wire import validation_summary

log = structlog.get_logger(__name__)
HANDOFF_PURGE_S = 2.0  # how long raw ingest messages outlive their handling, at most


class FromSender(BaseModel):
    """Who sent an ingest message, and the sender's own id for what it describes. Unlike an
    HTTP body, a field we do not know is ignored (and logged): a sender that adds one must not
    see all its messages refused."""

    model_config = ConfigDict(extra="ignore")

    source: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    external_id: Line = Field(min_length=1, max_length=200)


M = TypeVar("M", bound=FromSender)
# Records what a valid message describes; a DomainError refuses it (to the rejected topic), a
# ConflictError (a concurrent write) has it delivered again.
Accept = Callable[[M, Metadata], Awaitable[object]]


@dataclass(frozen=True)
class IngestTopic:
    """An ingest topic, the topic its refused messages go to, and the group that consumes it."""

    topic: str
    rejected: str
    group: str


@dataclass(frozen=True)
class Ingest(Generic[M]):
    """How one ingest takes a message: its model, what a valid one does, where refusals go."""

    model: type[M]
    accept: Accept[M]
    rejected: DeadLetterSink
    what: str  # what a message describes ("interaction", "lead"), for reasons and logs

    async def take(self, record: ConsumerRecord[Any, Any]) -> None:
        try:
            fields = self.model.model_validate_json(record.value or b"")
        except ValidationError as error:
            await self.rejected.send(record, f"invalid {self.what}: {validation_summary(error)}")
            return
        if unknown := self._unknown_fields(record.value):
            log.info("ingest fields ignored", fields=unknown, source=fields.source)
        metadata = Metadata(
            actor=f"ingest:{fields.source}", occurred_at=getattr(fields, "occurred_at", None)
        )
        try:
            await self.accept(fields, metadata)
        except ConflictError:
            raise  # a concurrent write of the same thing: retry, it will deduplicate
        except DomainError as error:
            log.info(f"{self.what} rejected", reason=error.message, source=fields.source)
            await self.rejected.send(record, error.message)

    def _unknown_fields(self, value: bytes | None) -> list[str]:
        body = json.loads(value or b"{}")
        return sorted(k for k in body if k not in self.model.model_fields)[:20]


@dataclass(frozen=True)
class IngestConsumer:
    """A subscribed ingest: its watched consumer (ADR 24) and its topics (ADR 18)."""

    consumer: WatchedConsumer
    topics: IngestTopic

    async def purge(self, bootstrap: str) -> None:
        """Delete the records the group has committed past, every 2 s, until cancelled."""
        await keep_purging(
            bootstrap, self.topics.topic, self.topics.group, interval_s=HANDOFF_PURGE_S
        )


def subscribe_ingest(
    broker: KafkaBroker,
    topics: IngestTopic,
    model: type[M],
    accept: Accept[M],
    *,
    what: str,
    not_personal: Collection[str],
    stall_after_s: float,
    description: str,
) -> IngestConsumer:
    """Consume `topics.topic` one record at a time into `accept`. A rejected copy keeps only
    the fields in `not_personal` (where valid) and the SHA-256 of the sender's id; `what` a
    message describes names it in reasons and logs."""
    redact = keep_only(model, not_personal, hashed=("external_id",))
    rejected = KafkaDeadLetters(broker, topics.rejected, redact=redact)
    ingest = Ingest(model=model, accept=accept, rejected=rejected, what=what)

    async def raw_body(message: Any) -> Any:
        return message.body

    consumer = watched_subscriber(
        broker,
        topics.topic,
        group_id=topics.group,
        stall_after_s=stall_after_s,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title=f"{topics.topic}:consume",
        description=description,
    )

    async def on_message(body: Any, message: KafkaMessage) -> None:
        record = message.raw_message
        if not isinstance(record, ConsumerRecord):  # one record a call: not a batch subscriber
            raise TypeError(f"expected one Kafka record, got {type(record).__name__}")
        with consumer.progress.handling():
            await ingest.take(record)

    consumer.handle_with(on_message, decoder=raw_body)
    return IngestConsumer(consumer=consumer, topics=topics)
