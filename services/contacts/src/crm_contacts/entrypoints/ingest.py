"""Kafka ingest of interactions from internal systems (call centre, e-mail platform).

Each message is validated and deduplicated by the sender's (source, external id); a refused
message goes to the rejected topic with the reason in its headers (and its personal fields
withheld), and the consumer moves on. Offsets are committed after the interaction is stored, so
nothing is lost on a crash; committed records are then deleted from the ingest topic, which
holds personal data in clear (crm_kernel.adapters.kafka_handoff).
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from aiokafka import ConsumerRecord
from crm_kernel.adapters.kafka_handoff import keep_only
from crm_kernel.adapters.kafka_subscriber import KafkaDeadLetters
from crm_kernel.adapters.kafka_watchdog import WatchedConsumer, watched_subscriber
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import ConflictError, DomainError
from crm_kernel.request_body import Line
from crm_kernel.wire import validation_summary
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ConfigDict, Field, ValidationError

from crm_contacts.application.interactions import InteractionLogging
from crm_contacts.domain.interaction import interaction_id_for
from crm_contacts.entrypoints.interactions import InteractionFields

INGEST_TOPIC = "crm.contacts.interactions.ingest"
REJECTED_TOPIC = "crm.contacts.interactions.rejected"
GROUP = "crm-contacts-ingest"

log = structlog.get_logger(__name__)


class IngestedInteraction(InteractionFields):
    """One message on the ingest topic: JSON, with the sender's name and its own id. Unlike an
    HTTP body, a field we do not know is ignored (and logged): a sender that adds one must
    not see all its messages refused."""

    model_config = ConfigDict(extra="ignore")

    source: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    external_id: Line = Field(min_length=1, max_length=200)


# What a rejected copy keeps: the fields that hold no personal data, where valid, and the hash
# of the sender's id. The free texts (subject, summary, outcome, who handled it) are withheld;
# the sender has the original.
NOT_PERSONAL = (
    "source",
    "customer_id",
    "channel",
    "direction",
    "purpose",
    "duration_s",
    "occurred_at",
    "answered_at",
)


def subscribe_ingest(
    broker: KafkaBroker, interactions: InteractionLogging, stall_after_s: float
) -> WatchedConsumer:
    rejected = KafkaDeadLetters(
        broker,
        REJECTED_TOPIC,
        redact=keep_only(IngestedInteraction, NOT_PERSONAL, hashed=("external_id",)),
    )

    async def raw_body(message: Any) -> Any:
        return message.body

    consumer = watched_subscriber(
        broker,
        INGEST_TOPIC,
        group_id=GROUP,
        stall_after_s=stall_after_s,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="crm.contacts.interactions.ingest:consume",
        description="Interactions from internal systems, as JSON (schema IngestedInteraction)",
    )

    async def on_interaction(body: Any, message: KafkaMessage) -> None:
        with consumer.progress.handling():
            await _ingest(message, interactions, rejected)

    consumer.handle_with(on_interaction, decoder=raw_body)
    return consumer


async def _ingest(
    message: KafkaMessage, interactions: InteractionLogging, rejected: KafkaDeadLetters
) -> None:
    record = message.raw_message
    if not isinstance(record, ConsumerRecord):  # one record a call: not a batch subscriber
        raise TypeError(f"expected one Kafka record, got {type(record).__name__}")
    try:
        fields = IngestedInteraction.model_validate_json(record.value or b"")
    except ValidationError as error:
        await rejected.send(record, f"invalid interaction: {validation_summary(error)}")
        return
    if unknown := _unknown_fields(record.value):
        log.info("ingest fields ignored", fields=unknown, source=fields.source)
    metadata = Metadata(actor=f"ingest:{fields.source}", occurred_at=fields.occurred_at)
    data = fields.model_dump(mode="json")
    data["interaction_id"] = interaction_id_for(fields.source, fields.external_id)
    try:
        await interactions.log(data, metadata)
    except ConflictError:
        raise  # a concurrent write of the same interaction: retry, it will deduplicate
    except DomainError as error:
        log.info("interaction rejected", reason=error.message, source=fields.source)
        await rejected.send(record, error.message)


def _unknown_fields(value: bytes | None) -> list[str]:
    body = json.loads(value or b"{}")
    return sorted(k for k in body if k not in IngestedInteraction.model_fields)[:20]
