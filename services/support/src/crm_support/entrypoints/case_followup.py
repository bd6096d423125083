"""Support's own events read back from its topic, for what follows a case's steps: the case
book (who holds which open case, ADR 49), the SLA breach deadlines (ADR 48) and the auto-close
deadlines (ADR 46); the kernel's deadline scheduler raises them (ADR 44). Offsets are committed
once all three took the batch; a redelivered event changes nothing."""

from __future__ import annotations

from crm_kernel.adapters.kafka_subscriber import subscribe_in_background
from crm_kernel.adapters.kafka_watchdog import WatchedConsumer
from crm_kernel.adapters.mongo_work_book import MongoWorkBook
from crm_kernel.domain.envelope import EventEnvelope
from faststream.kafka import KafkaBroker

from crm_support.application.auto_close import AutoClose
from crm_support.application.sla_deadlines import SlaDeadlines
from crm_support.domain.case_book import CASE_BOOK

GROUP = "crm-support-case-deadlines"
DEAD_LETTERS = "crm.support-case-deadlines.dlt"


def subscribe_case_followup(
    broker: KafkaBroker,
    book: MongoWorkBook,
    breaches: SlaDeadlines,
    auto_close: AutoClose,
    stall_after_s: float,
) -> WatchedConsumer:
    async def follow(envelopes: list[EventEnvelope]) -> None:
        await book.record_all(envelopes, CASE_BOOK)
        await breaches.learn(envelopes)
        await auto_close.learn(envelopes)

    return subscribe_in_background(
        broker,
        "support",
        group_id=GROUP,
        dead_letters=DEAD_LETTERS,
        handler=follow,
        stall_after_s=stall_after_s,
    )
