"""Kafka consumer of contacts', sales' and campaigns' own events: the facts audiences are
chosen by (ADR 52). Batches commit after they were recorded; what is not an event goes to the
dead-letter topic; watched (ADR 24)."""

from __future__ import annotations

import crm_contacts_contracts.events  # noqa: F401  (registers contacts' event types for decoding)
import crm_sales_contracts.events  # noqa: F401  (and sales')
from crm_kernel.adapters.kafka_subscriber import BACKGROUND, KafkaDeadLetters, subscribe_batches
from crm_kernel.adapters.kafka_topics import dead_letter_topic
from crm_kernel.adapters.kafka_watchdog import WatchedConsumer
from crm_kernel.domain.envelope import topic_for
from faststream.kafka import KafkaBroker

from crm_campaigns.adapters.audience_facts import MongoAudienceFacts

GROUP = "crm-campaigns-audience-facts"
DEAD_LETTERS = dead_letter_topic("campaigns-audience-facts")


def subscribe_audience_facts(
    broker: KafkaBroker, facts: MongoAudienceFacts, stall_after_s: float
) -> WatchedConsumer:
    return subscribe_batches(
        broker,
        topics=[topic_for(context) for context in ("contacts", "sales", "campaigns")],
        group_id=GROUP,
        handler=facts.learn,
        dead_letters=KafkaDeadLetters(broker, DEAD_LETTERS),
        stall_after_s=stall_after_s,
        fetch=BACKGROUND,
    )
