"""The auto-close policy's input: support's own events read back from its topic, a resolution
setting its deadline (ADR 46); the kernel's deadline scheduler raises them (ADR 44)."""

from __future__ import annotations

from crm_kernel.adapters.kafka_subscriber import subscribe_own_events
from crm_kernel.adapters.kafka_watchdog import WatchedConsumer
from faststream.kafka import KafkaBroker

from crm_support.application.auto_close import AutoClose

GROUP = "crm-support-case-deadlines"
DEAD_LETTERS = "crm.support-case-deadlines.dlt"


def subscribe_auto_close(
    broker: KafkaBroker, auto_close: AutoClose, stall_after_s: float
) -> WatchedConsumer:
    return subscribe_own_events(
        broker,
        "support",
        group_id=GROUP,
        dead_letters=DEAD_LETTERS,
        handler=auto_close.learn,
        stall_after_s=stall_after_s,
    )
