"""Kafka consumer of contacts' events (`crm.contacts.events`): each customer's type, for the
service level of their cases (ADR 48). Batches commit after they were recorded; what is not a
contacts event goes to the dead-letter topic; watched (ADR 24)."""

from __future__ import annotations

import crm_contacts_contracts.events  # noqa: F401  (registers contacts' event types for decoding)
from crm_kernel.adapters.kafka_subscriber import subscribe_in_background
from crm_kernel.adapters.kafka_topics import dead_letter_topic
from crm_kernel.adapters.kafka_watchdog import WatchedConsumer
from faststream.kafka import KafkaBroker

from crm_support.adapters.customer_types import MongoCustomerTypes

GROUP = "crm-support-customer-types"
DEAD_LETTERS = dead_letter_topic("support-customer-types")


def subscribe_customer_types(
    broker: KafkaBroker, types: MongoCustomerTypes, stall_after_s: float
) -> WatchedConsumer:
    return subscribe_in_background(
        broker,
        "contacts",
        group_id=GROUP,
        dead_letters=DEAD_LETTERS,
        handler=types.learn,
        stall_after_s=stall_after_s,
    )
