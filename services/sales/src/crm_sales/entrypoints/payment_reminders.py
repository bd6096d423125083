"""The payment reminder policy's input: sales' own events read back from its topic, an invoice
posted setting its reminders' deadlines (ADR 42); the kernel's deadline scheduler raises them
(ADR 44)."""

from __future__ import annotations

from crm_kernel.adapters.kafka_subscriber import subscribe_in_background
from crm_kernel.adapters.kafka_watchdog import WatchedConsumer
from faststream.kafka import KafkaBroker

from crm_sales.application.payment_reminders import PaymentReminders

GROUP = "crm-sales-payment-reminders"
DEAD_LETTERS = "crm.sales-payment-reminders.dlt"


def subscribe_payment_reminders(
    broker: KafkaBroker, reminders: PaymentReminders, stall_after_s: float
) -> WatchedConsumer:
    return subscribe_in_background(
        broker,
        "sales",
        group_id=GROUP,
        dead_letters=DEAD_LETTERS,
        handler=reminders.learn,
        stall_after_s=stall_after_s,
    )
