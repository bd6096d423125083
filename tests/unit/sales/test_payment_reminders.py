"""Payment reminders (crm_sales.domain.account remind, application.payment_reminders), days by
hand: an invoice posted sets a deadline per instalment and level (the first 7 days past due,
the second 21, the final 45); raised, each level is recorded once, with its deadline as the
fact's day; a level the next one overtook by the day it is raised is skipped; a paid
instalment gets none; a scheduler stopped before forgetting a deadline raises it again
without doubling it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from crm_kernel.application import CommandHandlers
from crm_kernel.deadline_scheduler import DeadlineScheduler
from crm_kernel.domain.envelope import Metadata
from crm_kernel.ports.deadlines import Deadline
from crm_kernel.relay import Relay
from crm_sales.application.payment_reminders import KIND, PaymentReminders, deadlines_of
from crm_sales.domain.account import (
    DEFAULT_REMINDER_DAYS,
    RemindPayment,
    account_decider,
    stream_of,
)
from crm_sales_contracts.events import InvoicePosted, PaymentReminderSent, ReminderLevel

from tests.fakes import InMemoryEventStore, InMemoryKeyStore, InMemoryPublisher
from tests.unit.sales.test_account import A, B, pay, run, then

DAYS = DEFAULT_REMINDER_DAYS


def remind(invoice: str, n: int, level: int, on: date, today: date | None = None) -> RemindPayment:
    return RemindPayment(
        customer_id="c1", invoice_id=invoice, instalment=n, level=level, on=on,
        today=today or on, days=DAYS,
    )  # fmt: skip


def test_a_reminder_is_recorded_once_on_its_deadline_day() -> None:
    # A: 60.50 due 1 Apr, 60.50 due 1 May. Its first instalment's first reminder: 8 Apr.
    events = run(A, B)
    [first] = then(events, remind("A", 0, 0, date(2026, 4, 8)))
    assert isinstance(first, PaymentReminderSent)
    assert (first.level, first.days_past_due, first.reminded_on, first.open) == (
        ReminderLevel.FIRST, 7, date(2026, 4, 8), A.instalments[0].amount,
    )  # fmt: skip
    assert then([*events, first], remind("A", 0, 0, date(2026, 4, 8))) == []  # raised again
    [second] = then([*events, first], remind("A", 0, 1, date(2026, 4, 22)))
    assert isinstance(second, PaymentReminderSent) and second.level is ReminderLevel.SECOND


def test_a_level_overtaken_by_the_next_and_a_paid_instalment_get_none() -> None:
    events = run(A, B)
    # Raised on 20 May (after a stop): A's first level (8 Apr) and second (22 Apr) were both
    # overtaken, its final (16 May) goes out, dated its own day.
    today = date(2026, 5, 20)
    assert then(events, remind("A", 0, 0, date(2026, 4, 8), today)) == []
    assert then(events, remind("A", 0, 1, date(2026, 4, 22), today)) == []
    [final] = then(events, remind("A", 0, 2, date(2026, 5, 16), today))
    assert isinstance(final, PaymentReminderSent)
    assert (final.level, final.days_past_due) == (ReminderLevel.FINAL, 45)
    paid = run(A, B, pay("p1", "60.50"))
    assert then(paid, remind("A", 0, 0, date(2026, 4, 8))) == []


def test_an_invoice_sets_a_deadline_per_instalment_and_level() -> None:
    [posted] = [e for e in run(A) if isinstance(e, InvoicePosted)]
    found = deadlines_of(posted, DAYS)
    assert [(d.key, d.due_at) for d in found[:3]] == [
        (f"{KIND}:A:0:0", datetime(2026, 4, 8, tzinfo=UTC)),
        (f"{KIND}:A:0:1", datetime(2026, 4, 22, tzinfo=UTC)),
        (f"{KIND}:A:0:2", datetime(2026, 5, 16, tzinfo=UTC)),
    ]
    assert len(found) == 6 and found[3].data == {
        "customer_id": "c1", "invoice_id": "A", "instalment": 1, "level": 0,
    }  # fmt: skip


class Deadlines:
    """An in-memory deadline store that can be told to fail forgetting (a stop mid-way)."""

    def __init__(self) -> None:
        self.kept: dict[str, Deadline] = {}
        self.fail_done = False

    async def set_many(self, deadlines: list[Deadline]) -> None:
        self.kept |= {d.key: d for d in deadlines}

    async def cancel(self, keys: list[str]) -> None:
        for key in keys:
            self.kept.pop(key, None)

    async def due(self, now: datetime, limit: int) -> list[Deadline]:
        return sorted((d for d in self.kept.values() if d.due_at <= now),
                      key=lambda d: (d.due_at, d.key))[:limit]  # fmt: skip

    async def done(self, deadline: Deadline) -> None:
        if self.fail_done:
            raise ConnectionError("the store went away")
        if self.kept.get(deadline.key) == deadline:
            del self.kept[deadline.key]


async def test_the_scheduler_raises_reminders_and_a_restart_neither_misses_nor_doubles() -> None:
    store = InMemoryEventStore()
    handlers = CommandHandlers(
        source="crm.sales", store=store, keys=InMemoryKeyStore(),
        relay=Relay(store, InMemoryPublisher()),
    )  # fmt: skip
    accounts = handlers.of(account_decider)
    deadlines = Deadlines()
    now = datetime(2026, 4, 9, tzinfo=UTC)
    policy = PaymentReminders(accounts, deadlines, DAYS, today=lambda: now.date())
    scheduler = DeadlineScheduler(deadlines, {KIND: policy.remind}, clock=lambda: now)
    await accounts.handle(stream_of("c1"), A, Metadata(actor="t"))
    await policy.learn(await store.read_stream(stream_of("c1")))
    await policy.learn(await store.read_stream(stream_of("c1")))  # redelivered: the same six
    assert len(deadlines.kept) == 6

    deadlines.fail_done = True  # stopped after the command, before forgetting the deadline
    with pytest.raises(ConnectionError):
        await scheduler.raise_due()
    deadlines.fail_done = False
    assert await scheduler.raise_due() == 1  # raised again on restart...
    reminders = [
        e
        for e in await store.read_stream(stream_of("c1"))
        if e.type == PaymentReminderSent.event_type
    ]
    assert len(reminders) == 1  # ...and recorded once
    assert reminders[0].occurred_at == datetime(2026, 4, 8, tzinfo=UTC)  # its deadline
    assert len(deadlines.kept) == 5
