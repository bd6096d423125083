"""Kafka ingest of orders from web shops and points of sale (`crm.sales.orders.ingest`): the
kernel's ingest (crm_kernel.adapters.kafka_ingest) validates, deduplicates by the sender's
(source, external id), rejects with the reason and hands off, as for leads; `occurred_at` is
when the order happened, so imported history lands on its own dates."""

from __future__ import annotations

from uuid import UUID

from crm_kernel.adapters.kafka_ingest import FromSender, IngestConsumer, IngestTopic
from crm_kernel.adapters.kafka_ingest import subscribe_ingest as subscribe
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.senders import sender_id
from faststream.kafka import KafkaBroker
from pydantic import ConfigDict

from crm_sales.application.order_intake import OrderIntake
from crm_sales.domain.order import PlaceOrder
from crm_sales.entrypoints.http import OrderFields

TOPICS = IngestTopic(
    topic="crm.sales.orders.ingest",
    rejected="crm.sales.orders.rejected",
    group="crm-sales-orders-ingest",
)
INGESTED_ORDERS = UUID("9b1d4c2e-7f3a-5b6c-8d9e-0a1b2c3d4e5f")


def order_id_for(source: str, external_id: str) -> str:
    """The order a shop's `(source, external_id)` names, always the same one."""
    return sender_id(INGESTED_ORDERS, source, external_id)


class IngestedOrder(OrderFields, FromSender):
    """One message on the ingest topic: an order as JSON, with the shop's name and its own id
    for the order."""

    model_config = ConfigDict(extra="ignore")


# An order holds no personal field: a rejected copy keeps all of it but the sender's id, which
# is hashed as in every ingest.
NOT_PERSONAL = (
    "source",
    "customer_id",
    "lines",
    "currency",
    "payment_method",
    "occurred_at",
    "credit_override",
)


def subscribe_order_ingest(
    broker: KafkaBroker, intake: OrderIntake, stall_after_s: float
) -> IngestConsumer:
    async def take(fields: IngestedOrder, metadata: Metadata) -> object:
        facts = fields.model_dump(
            mode="json", include=set(OrderFields.model_fields) - {"occurred_at", "credit_override"}
        )
        command = PlaceOrder(**facts, order_id=order_id_for(fields.source, fields.external_id))
        return await intake.take(command, metadata, override=fields.credit_override)

    return subscribe(
        broker,
        TOPICS,
        IngestedOrder,
        take,
        what="order",
        not_personal=NOT_PERSONAL,
        stall_after_s=stall_after_s,
        description="Orders from web shops and points of sale, as JSON (schema IngestedOrder)",
    )
