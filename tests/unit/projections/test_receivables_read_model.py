"""The receivables read model (crm_projections.domain.receivables): an account's standing on a
day, figures by hand (overdue from the day read for, ageing buckets, late payments, payment
states), as it stood at a time; folding again or out of order changes nothing."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from crm_kernel.domain.envelope import EventEnvelope, Metadata, wrap
from crm_kernel.domain.events import DomainEvent
from crm_projections.domain import receivables
from crm_projections.domain.receivables import bucket
from crm_projections.domain.wire_values import instant
from crm_sales.domain.account import (
    DEFAULT_CREDIT_NOTE_REASONS,
    IssueCreditNote,
    PostInvoice,
    ReceivePayment,
    account_decider,
)
from crm_sales_contracts.events import DueInstalment
from hypothesis import given, settings
from hypothesis import strategies as st

D = Decimal


def post(invoice_id: str, on: date, *due: tuple[date, str]) -> PostInvoice:
    total = sum((D(a) for _, a in due), D(0))
    return PostInvoice(
        customer_id="c1", invoice_id=invoice_id, order_id=f"o-{invoice_id}",
        reference=f"F2026-{invoice_id}", issued_on=on, currency="EUR", net=total, tax=D(0),
        total=total, instalments=tuple(DueInstalment(due_on=d, amount=D(a)) for d, a in due),
    )  # fmt: skip


def pay(payment_id: str, amount: str, on: date) -> ReceivePayment:
    return ReceivePayment(
        customer_id="c1", payment_id=payment_id, currency="EUR", amount=D(amount),
        method="card", received_on=on,
    )  # fmt: skip


def decided(*commands: Any) -> list[DomainEvent]:
    events: list[DomainEvent] = []
    for command in commands:
        events += account_decider.decide(account_decider.fold(events), command)
    return events


def envelopes(events: list[DomainEvent], days: list[date]) -> list[EventEnvelope]:
    """Each event recorded at noon of its day."""
    out: list[EventEnvelope] = []
    for n, (event, day) in enumerate(zip(events, days, strict=True)):
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        out += wrap([event], source="crm.sales", stream_id="account-c1", expected_version=n,
                    metadata=Metadata(actor="t"), now=noon)  # fmt: skip
    return out


# Invoice A on 1 March: 100.00 due 1 March, 100.00 due 31 March. Invoice B on 1 April: 50.00
# due 1 May. Paid: 100.00 on 10 March (9 days late), 120.00 on 15 April (A's second in full,
# 15 days late; 20.00 to B).
A = post("A", date(2026, 3, 1), (date(2026, 3, 1), "100.00"), (date(2026, 3, 31), "100.00"))
B = post("B", date(2026, 4, 1), (date(2026, 5, 1), "50.00"))
COMMANDS = (A, pay("p1", "100.00", date(2026, 3, 10)), B, pay("p2", "120.00", date(2026, 4, 15)))
DAYS = [date(2026, 3, 1), date(2026, 3, 10), date(2026, 4, 1), date(2026, 4, 15)]
EVENTS = decided(*COMMANDS)
ENVELOPES = envelopes(EVENTS, DAYS)


def doc_of(batch: list[EventEnvelope]) -> dict:
    return receivables.fold(receivables.empty("c1"), batch)


def standing_on(doc: dict, day: date, at: str | None = None) -> receivables.Standing:
    events = receivables.events_of(receivables.entries(doc, at, "occurred"))
    return receivables.standing(events, day)


def test_the_account_on_a_day_ages_what_is_open_and_counts_the_late_payments() -> None:
    doc = doc_of(ENVELOPES)
    # 20 July: B's 30.00 left is 80 days past due (1 May -> 20 July): bucket 61-90.
    july = standing_on(doc, date(2026, 7, 20))
    assert (july.open, july.overdue) == ({"EUR": "30.00"}, {"EUR": "30.00"})
    assert july.ageing == {"EUR": {"current": "0", "1-30": "0", "31-60": "0", "61-90": "30.00",
                                   "91+": "0"}}  # fmt: skip
    assert (july.late_payments, july.worst_days_past_due) == (2, 80)
    assert [i["state"] for i in july.invoices] == ["paid", "partially_paid"]
    # 20 April: B is not due yet, so nothing is overdue; the worst was A's second, 15 days.
    april = standing_on(doc, date(2026, 4, 20))
    assert (april.overdue, april.ageing["EUR"]["current"], april.worst_days_past_due) == (
        {}, "30.00", 15,
    )  # fmt: skip


def test_as_it_stood_before_a_payment_the_instalment_was_open_and_overdue() -> None:
    doc = doc_of(ENVELOPES)
    then = standing_on(doc, date(2026, 3, 5), at=instant(datetime(2026, 3, 5, 23, tzinfo=UTC)))
    assert (then.open, then.overdue, then.late_payments, then.worst_days_past_due) == (
        {"EUR": "200.00"}, {"EUR": "100.00"}, 0, 4,
    )  # fmt: skip
    assert then.ageing["EUR"]["1-30"] == "100.00"
    assert [i["state"] for i in then.invoices] == ["not_paid"]


def test_a_reversed_invoice_and_the_credit_it_leaves() -> None:
    note = IssueCreditNote(
        customer_id="c1", credit_note_id="n1", invoice_id="A", net=D("200.00"),
        reason="billing error", reasons=DEFAULT_CREDIT_NOTE_REASONS, issued_on=date(2026, 3, 20),
    )  # fmt: skip
    events = decided(A, pay("p1", "100.00", date(2026, 3, 10)), note)
    doc = doc_of(envelopes(events, [date(2026, 3, 1), date(2026, 3, 10), date(2026, 3, 20)]))
    now = standing_on(doc, date(2026, 4, 1))
    assert [i["state"] for i in now.invoices] == ["reversed"]
    assert (now.open, now.credit, now.credited_net) == ({}, {"EUR": "100.00"}, {"EUR": "200.00"})


def test_buckets_follow_days_past_due() -> None:
    assert [bucket(d) for d in (0, 1, 30, 31, 60, 61, 90, 91)] == [
        "current", "1-30", "1-30", "31-60", "31-60", "61-90", "61-90", "91+",
    ]  # fmt: skip


@settings(max_examples=30, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(min_value=1, max_value=3))
def test_folding_again_or_out_of_order_changes_nothing(rng: random.Random, splits: int) -> None:
    expected = doc_of(ENVELOPES)
    shuffled = ENVELOPES * 2
    rng.shuffle(shuffled)
    doc = receivables.empty("c1")
    step = max(1, len(shuffled) // splits)
    for start in range(0, len(shuffled), step):
        doc = receivables.fold(doc, shuffled[start : start + step])
    assert doc == expected
    day = date(2026, 5, 2) + timedelta(days=rng.randint(0, 100))
    assert standing_on(doc, day) == standing_on(expected, day)
