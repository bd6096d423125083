"""Sales' own events, read back from its topic to keep the lead book (ADR 32). Offsets are
committed once the batch is recorded; a redelivered event changes nothing."""

from __future__ import annotations

from crm_kernel.adapters.kafka_subscriber import subscribe_in_background
from crm_kernel.adapters.kafka_watchdog import WatchedConsumer
from crm_kernel.adapters.mongo_work_book import MongoWorkBook
from crm_kernel.domain.envelope import EventEnvelope
from faststream.kafka import KafkaBroker

from crm_sales.domain.lead_book import LEAD_BOOK

GROUP = "crm-sales-lead-book"
DEAD_LETTERS = "crm.sales-lead-book.dlt"


def subscribe_lead_book(
    broker: KafkaBroker, book: MongoWorkBook, stall_after_s: float
) -> WatchedConsumer:
    async def on_events(envelopes: list[EventEnvelope]) -> None:
        await book.record_all(envelopes, LEAD_BOOK)

    return subscribe_in_background(
        broker,
        "sales",
        group_id=GROUP,
        dead_letters=DEAD_LETTERS,
        handler=on_events,
        stall_after_s=stall_after_s,
    )
