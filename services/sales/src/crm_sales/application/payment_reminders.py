"""The payment reminder policy (ADR 42, on the kernel's deadline scheduler, ADR 44): an invoice
posted sets a deadline for each of its instalments' reminders (first, second, final, days past
due from CRM_PAYMENT_REMINDER_DAYS); when one comes, the account decides it with the deadline
as its occurred time (nothing for an instalment paid by then, or a level sent or overtaken)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time

from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import EventEnvelope, Metadata
from crm_kernel.ports.deadlines import Deadline, DeadlineStore
from crm_sales_contracts.events import InvoicePosted

from crm_sales.domain import account
from crm_sales.domain.account import (
    LEVELS,
    Account,
    AccountCommand,
    RemindPayment,
    reminder_day,
)

KIND = "payment-reminder"
ACTOR = "policy:payment-reminders"


def deadlines_of(posted: InvoicePosted, days: tuple[int, int, int]) -> list[Deadline]:
    """Each instalment's reminder deadlines: the start (UTC) of each level's day."""
    return [
        Deadline(
            key=f"{KIND}:{posted.invoice_id}:{n}:{level}",
            kind=KIND,
            due_at=datetime.combine(reminder_day(due.due_on, level, days), time(), UTC),
            data={
                "customer_id": posted.customer_id,
                "invoice_id": posted.invoice_id,
                "instalment": n,
                "level": level,
            },
        )
        for n, due in enumerate(posted.instalments)
        for level in range(len(LEVELS))
    ]


class PaymentReminders:
    def __init__(
        self,
        accounts: CommandHandler[Account, AccountCommand],
        deadlines: DeadlineStore,
        days: tuple[int, int, int],
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        self._accounts = accounts
        self._deadlines = deadlines
        self._days = days
        self._today = today

    async def learn(self, envelopes: list[EventEnvelope]) -> None:
        """Set the reminder deadlines of the invoices posted."""
        found: list[Deadline] = []
        for envelope in envelopes:
            if envelope.type == InvoicePosted.event_type:
                posted = envelope.event()
                assert isinstance(posted, InvoicePosted)
                found += deadlines_of(posted, self._days)
        await self._deadlines.set_many(found)

    async def remind(self, deadline: Deadline) -> None:
        """A reminder's deadline came: the account decides it, as having happened then."""
        data = deadline.data
        command = RemindPayment(
            customer_id=data["customer_id"],
            invoice_id=data["invoice_id"],
            instalment=data["instalment"],
            level=data["level"],
            on=deadline.due_at.date(),
            today=self._today(),
            days=self._days,
        )
        metadata = Metadata(actor=ACTOR, occurred_at=deadline.due_at)
        await self._accounts.handle(account.stream_of(command.customer_id), command, metadata)
