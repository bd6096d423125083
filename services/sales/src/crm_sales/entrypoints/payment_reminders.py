"""The payment reminder policy's two inputs: sales' own events read back from its topic (an
invoice posted puts its account on the schedule), and a sweep every
CRM_PAYMENT_REMINDER_SWEEP_S seconds that reminds what is due by today (ADR 42)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import structlog
from crm_kernel.adapters.kafka_subscriber import BACKGROUND, KafkaDeadLetters, subscribe_batches
from crm_kernel.adapters.kafka_watchdog import WatchedConsumer
from crm_kernel.domain.envelope import topic_for
from faststream.kafka import KafkaBroker

from crm_sales.application.payment_reminders import PaymentReminders

GROUP = "crm-sales-payment-reminders"
DEAD_LETTERS = "crm.sales-payment-reminders.dlt"
log = structlog.get_logger(__name__)


def subscribe_payment_reminders(
    broker: KafkaBroker, reminders: PaymentReminders, stall_after_s: float
) -> WatchedConsumer:
    return subscribe_batches(
        broker,
        topics=[topic_for("sales")],
        group_id=GROUP,
        handler=reminders.learn,
        dead_letters=KafkaDeadLetters(broker, DEAD_LETTERS),
        stall_after_s=stall_after_s,
        fetch=BACKGROUND,
    )


async def sweep_forever(reminders: PaymentReminders, every_s: float) -> None:
    """Sweep, then wait; a failed sweep is logged and tried again at the next."""
    while True:
        try:
            sent = await reminders.sweep(datetime.now(UTC).date())
            if sent:
                log.info("payment reminders sent", count=sent)
        except Exception:
            log.exception("payment reminder sweep failed")
        await asyncio.sleep(every_s)
