"""Kafka ingest of interactions from internal systems (call centre, e-mail platform): the
kernel's ingest (crm_kernel.adapters.kafka_ingest) validates, deduplicates by the sender's
(source, external id), rejects with the reason and hands off; this module says what an
interaction message is and what a rejected copy may keep."""

from __future__ import annotations

from typing import Any

from crm_kernel.adapters.kafka_ingest import FromSender, IngestConsumer, IngestTopic
from crm_kernel.adapters.kafka_ingest import subscribe_ingest as subscribe
from crm_kernel.domain.envelope import Metadata
from faststream.kafka import KafkaBroker
from pydantic import ConfigDict

from crm_contacts.application.interactions import InteractionLogging
from crm_contacts.domain.interaction import interaction_id_for
from crm_contacts.entrypoints.interactions import InteractionFields

TOPICS = IngestTopic(
    topic="crm.contacts.interactions.ingest",
    rejected="crm.contacts.interactions.rejected",
    group="crm-contacts-ingest",
)


class IngestedInteraction(InteractionFields, FromSender):
    """One message on the ingest topic: JSON, with the sender's name and its own id."""

    model_config = ConfigDict(extra="ignore")


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
) -> IngestConsumer:
    async def log(fields: IngestedInteraction, metadata: Metadata) -> Any:
        data = fields.model_dump(mode="json")
        data["interaction_id"] = interaction_id_for(fields.source, fields.external_id)
        return await interactions.log(data, metadata)

    return subscribe(
        broker,
        TOPICS,
        IngestedInteraction,
        log,
        what="interaction",
        not_personal=NOT_PERSONAL,
        stall_after_s=stall_after_s,
        description="Interactions from internal systems, as JSON (schema IngestedInteraction)",
    )
