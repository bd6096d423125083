"""The auto-close policy's input: support's own events read back from its topic, a resolution
setting its deadline (ADR 46); the kernel's deadline scheduler raises them (ADR 44)."""

from __future__ import annotations

from crm_kernel.adapters.kafka_subscriber import BACKGROUND, KafkaDeadLetters, subscribe_batches
from crm_kernel.adapters.kafka_watchdog import WatchedConsumer
from crm_kernel.domain.envelope import topic_for
from faststream.kafka import KafkaBroker

from crm_support.application.auto_close import AutoClose

GROUP = "crm-support-case-deadlines"
DEAD_LETTERS = "crm.support-case-deadlines.dlt"


def subscribe_auto_close(
    broker: KafkaBroker, auto_close: AutoClose, stall_after_s: float
) -> WatchedConsumer:
    return subscribe_batches(
        broker,
        topics=[topic_for("support")],
        group_id=GROUP,
        handler=auto_close.learn,
        dead_letters=KafkaDeadLetters(broker, DEAD_LETTERS),
        stall_after_s=stall_after_s,
        fetch=BACKGROUND,
    )
