"""The payment reminder policy's input: sales' own events read back from its topic, an invoice
posted setting its reminders' deadlines (ADR 42); the kernel's deadline scheduler raises them
(ADR 44)."""

from __future__ import annotations

from crm_kernel.adapters.kafka_subscriber import BACKGROUND, KafkaDeadLetters, subscribe_batches
from crm_kernel.adapters.kafka_watchdog import WatchedConsumer
from crm_kernel.domain.envelope import topic_for
from faststream.kafka import KafkaBroker

from crm_sales.application.payment_reminders import PaymentReminders

GROUP = "crm-sales-payment-reminders"
DEAD_LETTERS = "crm.sales-payment-reminders.dlt"


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
