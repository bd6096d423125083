"""Payment reminders (crm_sales.domain.account remind, application.payment_reminders), days by
hand: the first 7 days past due, the second at 21, the final at 45; each level once; an
instalment found late enough for several gets the highest only; a paid one none; the schedule
moves to the next possible reminder, and off once nothing is left to remind."""

from __future__ import annotations

from datetime import date

from crm_kernel.application import CommandHandlers
from crm_kernel.domain.envelope import Metadata
from crm_kernel.relay import Relay
from crm_sales.application.payment_reminders import PaymentReminders
from crm_sales.domain.account import (
    DEFAULT_REMINDER_DAYS,
    RemindPayments,
    account_decider,
    next_reminder_on,
    stream_of,
)
from crm_sales_contracts.events import PaymentReminderSent, ReminderLevel

from tests.fakes import InMemoryEventStore, InMemoryKeyStore, InMemoryPublisher
from tests.unit.sales.test_account import A, B, pay, run, then

DAYS = DEFAULT_REMINDER_DAYS


def remind(on: date) -> RemindPayments:
    return RemindPayments(customer_id="c1", on=on, days=DAYS)


def levels(events: list) -> list[tuple[str, int, ReminderLevel, int]]:
    return [
        (e.invoice_id, e.instalment, e.level, e.days_past_due)
        for e in events
        if isinstance(e, PaymentReminderSent)
    ]


def test_reminders_rise_by_level_each_once() -> None:
    # A: 60.50 due 1 Apr, 60.50 due 1 May; B: 50.00 due 15 Apr.
    events = run(A, B)
    assert then(events, remind(date(2026, 4, 7))) == []  # 6 days past due: not yet
    first = then(events, remind(date(2026, 4, 8)))
    assert levels(first) == [("A", 0, ReminderLevel.FIRST, 7)]
    events += first
    assert then(events, remind(date(2026, 4, 9))) == []  # sent already
    # 6 May: A's first 35 days past due (second), B's 21 (its first is skipped: second).
    may = then(events, remind(date(2026, 5, 6)))
    assert levels(may) == [("A", 0, ReminderLevel.SECOND, 35), ("B", 0, ReminderLevel.SECOND, 21)]


def test_an_instalment_found_very_late_gets_the_final_one_and_a_paid_one_none() -> None:
    events = run(A, B, pay("p1", "60.50"))  # A's first paid
    late = then(events, remind(date(2026, 7, 1)))
    # A's second: 61 days; B: 77 days: both final; A's first is paid.
    assert levels(late) == [("A", 1, ReminderLevel.FINAL, 61), ("B", 0, ReminderLevel.FINAL, 77)]
    assert then([*events, *late], remind(date(2026, 8, 1))) == []


def test_the_next_possible_reminder_day() -> None:
    state = account_decider.fold(run(A, B))
    assert next_reminder_on(state, DAYS) == date(2026, 4, 8)  # A's first + 7
    reminded = run(A, B, remind(date(2026, 4, 8)))
    # A's first next at +21 (22 Apr), B's first at 15 Apr + 7 = 22 Apr too.
    assert next_reminder_on(account_decider.fold(reminded), DAYS) == date(2026, 4, 22)
    paid = run(A, B, pay("p1", "171.00"))
    assert next_reminder_on(account_decider.fold(paid), DAYS) is None


class Schedule:
    def __init__(self) -> None:
        self.days: dict[str, date] = {}

    async def expect(self, customer_id: str, on: date) -> None:
        self.days[customer_id] = min(on, self.days.get(customer_id, on))

    async def due(self, today: date, limit: int) -> list[tuple[str, date]]:
        return sorted((c, d) for c, d in self.days.items() if d <= today)[:limit]

    async def moved(self, customer_id: str, was: date, now: date | None) -> None:
        if self.days.get(customer_id) == was:
            if now is None:
                del self.days[customer_id]
            else:
                self.days[customer_id] = now


async def test_the_policy_puts_posted_invoices_on_the_schedule_and_sweeps_them() -> None:
    store = InMemoryEventStore()
    handlers = CommandHandlers(
        source="crm.sales", store=store, keys=InMemoryKeyStore(),
        relay=Relay(store, InMemoryPublisher()),
    )  # fmt: skip
    accounts = handlers.of(account_decider)
    schedule = Schedule()
    policy = PaymentReminders(accounts, schedule, DAYS)
    meta = Metadata(actor="t")
    posted = [await accounts.handle(stream_of("c1"), command, meta) for command in (A, B)]
    assert all(result.event_ids for result in posted)
    await policy.learn(await store.read_stream(stream_of("c1")))
    assert schedule.days == {"c1": date(2026, 4, 8)}
    assert await policy.sweep(date(2026, 4, 1)) == 0  # not due yet: not even looked at
    assert await policy.sweep(date(2026, 4, 8)) == 1
    assert schedule.days == {"c1": date(2026, 4, 22)}
    await accounts.handle(stream_of("c1"), pay("p1", "171.00"), meta)
    assert await policy.sweep(date(2026, 4, 22)) == 0
    assert schedule.days == {}  # all paid: off the schedule
