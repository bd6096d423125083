"""Kafka consumer of support's events (`crm.support.events`): the returns support received and
refunded, for sales' returned lines and refunds (ADR 51). Batches commit after they were
recorded; what is not a support event goes to the dead-letter topic; watched (ADR 24)."""

from __future__ import annotations

import crm_support_contracts.events  # noqa: F401  (registers support's event types for decoding)
from crm_kernel.adapters.kafka_subscriber import subscribe_in_background
from crm_kernel.adapters.kafka_topics import dead_letter_topic
from crm_kernel.adapters.kafka_watchdog import WatchedConsumer
from faststream.kafka import KafkaBroker

from crm_sales.application.support_returns import SupportReturns

GROUP = "crm-sales-support-returns"
DEAD_LETTERS = dead_letter_topic("sales-support-returns")


def subscribe_support_returns(
    broker: KafkaBroker, returns: SupportReturns, stall_after_s: float
) -> WatchedConsumer:
    return subscribe_in_background(
        broker,
        "support",
        group_id=GROUP,
        dead_letters=DEAD_LETTERS,
        handler=returns.learn,
        stall_after_s=stall_after_s,
    )
