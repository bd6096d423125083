"""The payment reminder policy (ADR 42): an invoice posted puts its customer's account on the
schedule for the day its first instalment could be reminded; on each sweep, every account whose
day has come is decided on its stream (`RemindPayments`: the reminders the policy reached on
that day, each level once) and put back on the schedule for its next possible reminder, or
taken off it. The account decides, so a sweep run twice, or by two instances, reminds once."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol

from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import EventEnvelope, Metadata
from crm_sales_contracts.events import InvoicePosted

from crm_sales.domain import account
from crm_sales.domain.account import Account, AccountCommand, RemindPayments, next_reminder_on

SWEEP_BATCH = 200
ACTOR = "policy:payment-reminders"


class ReminderSchedule(Protocol):
    async def expect(self, customer_id: str, on: date) -> None: ...

    async def due(self, today: date, limit: int) -> list[tuple[str, date]]: ...

    async def moved(self, customer_id: str, was: date, now: date | None) -> None: ...


class PaymentReminders:
    def __init__(
        self,
        accounts: CommandHandler[Account, AccountCommand],
        schedule: ReminderSchedule,
        days: tuple[int, int, int],
    ) -> None:
        self._accounts = accounts
        self._schedule = schedule
        self._days = days

    async def learn(self, envelopes: list[EventEnvelope]) -> None:
        """Put the accounts of the invoices posted on the schedule."""
        first: dict[str, date] = {}
        for envelope in envelopes:
            if envelope.type != InvoicePosted.event_type:
                continue
            posted = envelope.event()
            assert isinstance(posted, InvoicePosted)
            day = posted.instalments[0].due_on + timedelta(days=self._days[0])
            first[posted.customer_id] = min(day, first.get(posted.customer_id, day))
        for customer_id, day in first.items():
            await self._schedule.expect(customer_id, day)

    async def sweep(self, today: date) -> int:
        """Remind what the policy reached by `today`; how many reminders went out."""
        sent = 0
        for customer_id, was in await self._schedule.due(today, SWEEP_BATCH):
            command = RemindPayments(customer_id=customer_id, on=today, days=self._days)
            metadata = Metadata(actor=ACTOR)
            result = await self._accounts.handle(account.stream_of(customer_id), command, metadata)
            sent += len(result.event_ids)
            state: Account = result.state
            await self._schedule.moved(customer_id, was, next_reminder_on(state, self._days))
        return sent
