"""Kafka consumer of contacts' events (`crm.contacts.events`): what existing customers' e-mails
and phones are, for a lead's duplicate report (ADR 28). Batches commit after they were folded
into the index; what is not a contacts event goes to the dead-letter topic; watched (ADR 24)."""

from __future__ import annotations

import crm_contacts_contracts.events  # noqa: F401  (registers contacts' event types for decoding)
from crm_kernel.adapters.kafka_subscriber import subscribe_in_background
from crm_kernel.adapters.kafka_topics import dead_letter_topic
from crm_kernel.adapters.kafka_watchdog import WatchedConsumer
from faststream.kafka import KafkaBroker

from crm_sales.application.customer_points import CustomerPoints

GROUP = "crm-sales-customer-points"
DEAD_LETTERS = dead_letter_topic("sales-customer-points")


def subscribe_customer_points(
    broker: KafkaBroker, points: CustomerPoints, stall_after_s: float
) -> WatchedConsumer:
    return subscribe_in_background(
        broker,
        "contacts",
        group_id=GROUP,
        dead_letters=DEAD_LETTERS,
        handler=points.learn,
        stall_after_s=stall_after_s,
    )
