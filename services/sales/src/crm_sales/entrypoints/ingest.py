"""Kafka ingest of leads from web forms and marketing tools (`crm.sales.leads.ingest`): the
kernel's ingest (crm_kernel.adapters.kafka_ingest) validates, deduplicates by the sender's
(source, external id), rejects with the reason and hands off, as for contacts' interactions;
this module says what a lead message is and what a rejected copy may keep."""

from __future__ import annotations

from crm_kernel.adapters.kafka_ingest import FromSender, IngestConsumer, IngestTopic
from crm_kernel.adapters.kafka_ingest import subscribe_ingest as subscribe
from crm_kernel.domain.envelope import Metadata
from faststream.kafka import KafkaBroker
from pydantic import ConfigDict

from crm_sales.application.lead_capture import CaptureOutcome, LeadCapture
from crm_sales.domain.lead import lead_id_for
from crm_sales.entrypoints.leads import LeadFields

TOPICS = IngestTopic(
    topic="crm.sales.leads.ingest",
    rejected="crm.sales.leads.rejected",
    group="crm-sales-leads-ingest",
)


class IngestedLead(LeadFields, FromSender):
    """One message on the ingest topic: a lead as JSON, with the sender's name and its own id
    (the lead's id is derived from them, so a redelivery captures nothing twice)."""

    model_config = ConfigDict(extra="ignore")


# What a rejected copy keeps: the fields that hold no personal data, where valid, and the hash
# of the sender's id. Names, contact details, the product interest, notes and the owner's
# handle are withheld; the sender has the original.
NOT_PERSONAL = (
    "source",
    "channel",
    "estimated_value",
    "currency",
    "campaign_id",
    "occurred_at",
)


def subscribe_ingest(
    broker: KafkaBroker, captures: LeadCapture, stall_after_s: float
) -> IngestConsumer:
    async def capture(fields: IngestedLead, metadata: Metadata) -> CaptureOutcome:
        command = fields.command(lead_id_for(fields.source, fields.external_id))
        return await captures.ingest(command, metadata)

    return subscribe(
        broker,
        TOPICS,
        IngestedLead,
        capture,
        what="lead",
        not_personal=NOT_PERSONAL,
        stall_after_s=stall_after_s,
        description="Leads from web forms and marketing tools, as JSON (schema IngestedLead)",
    )
