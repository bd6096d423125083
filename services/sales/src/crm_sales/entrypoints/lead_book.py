"""Sales' own events, read back from its topic to keep the lead book (ADR 32). Offsets are
committed once the batch is recorded; a redelivered event changes nothing."""

from __future__ import annotations

from crm_kernel.adapters.kafka_subscriber import subscribe_own_events
from crm_kernel.adapters.kafka_watchdog import WatchedConsumer
from crm_kernel.domain.envelope import EventEnvelope
from faststream.kafka import KafkaBroker

from crm_sales.adapters.lead_book import MongoLeadBook
from crm_sales.domain.lead_book import entry_of

GROUP = "crm-sales-lead-book"
DEAD_LETTERS = "crm.sales-lead-book.dlt"


def subscribe_lead_book(
    broker: KafkaBroker, book: MongoLeadBook, stall_after_s: float
) -> WatchedConsumer:
    async def on_events(envelopes: list[EventEnvelope]) -> None:
        for envelope in envelopes:
            found = entry_of(envelope)
            if found is not None:
                await book.record(found[0], envelope.stream_version, found[1])

    return subscribe_own_events(
        broker,
        "sales",
        group_id=GROUP,
        dead_letters=DEAD_LETTERS,
        handler=on_events,
        stall_after_s=stall_after_s,
    )
