"""Kafka ingest of cases from the call centre and the e-mail platform
(`crm.support.cases.ingest`): the kernel's ingest (crm_kernel.adapters.kafka_ingest)
validates, deduplicates by the sender's (source, external id), rejects with the reason and
hands off, as for orders and leads; `occurred_at` is when the customer raised it."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from crm_kernel.adapters.kafka_ingest import FromSender, IngestConsumer, IngestTopic
from crm_kernel.adapters.kafka_ingest import subscribe_ingest as subscribe
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.senders import sender_id
from faststream.kafka import KafkaBroker
from pydantic import ConfigDict

from crm_support.application.case_intake import CaseIntake
from crm_support.domain.case import OpenCase
from crm_support.entrypoints.http import CaseFields

TOPICS = IngestTopic(
    topic="crm.support.cases.ingest",
    rejected="crm.support.cases.rejected",
    group="crm-support-cases-ingest",
)
INGESTED_CASES = UUID("4c8e2a1f-6b3d-5e7a-9c0b-1d2e3f4a5b6c")


def case_id_for(source: str, external_id: str) -> str:
    """The case a sender's `(source, external_id)` names, always the same one."""
    return sender_id(INGESTED_CASES, source, external_id)


class IngestedCase(CaseFields, FromSender):
    """One message on the ingest topic: a case as JSON, with the sender's name and its own id
    for the case (a ticket number, a call id)."""

    model_config = ConfigDict(extra="ignore")


# The subject and the description are free text: a rejected copy keeps none of them.
NOT_PERSONAL = (
    "source",
    "customer_id",
    "kind",
    "priority",
    "channel",
    "product_sku",
    "order_id",
    "order_line",
    "team_id",
    "occurred_at",
)


def subscribe_case_ingest(
    broker: KafkaBroker, intake: CaseIntake, stall_after_s: float
) -> IngestConsumer:
    async def take(fields: IngestedCase, metadata: Metadata) -> object:
        facts = fields.model_dump(
            mode="json", include=set(CaseFields.model_fields) - {"occurred_at"}
        )
        at = fields.occurred_at or datetime.now(UTC)
        case_id = case_id_for(fields.source, fields.external_id)
        command = OpenCase(**facts, case_id=case_id, at=at)
        return await intake.take(command, metadata.happened_at(at))

    return subscribe(
        broker,
        TOPICS,
        IngestedCase,
        take,
        what="case",
        not_personal=NOT_PERSONAL,
        stall_after_s=stall_after_s,
        description="Cases from the call centre and the e-mail platform, as JSON "
        "(schema IngestedCase)",
    )
