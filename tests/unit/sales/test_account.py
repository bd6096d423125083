"""The customer's account (crm_sales.domain.account), figures by hand: payments settling
instalments oldest due first, never above what is open, the surplus kept as credit and spent on
the next invoice; credit notes taken off the last instalments, releasing what was paid of them;
refunds paying that back; a return credited once; retries recording nothing."""

from __future__ import annotations

import contextlib
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError, RefusedError
from crm_kernel.domain.events import DomainEvent
from crm_sales.domain.account import (
    DEFAULT_CREDIT_NOTE_REASONS,
    BookOrder,
    IssueCreditNote,
    PostInvoice,
    ReceivePayment,
    RefundInvoice,
    ReleaseOrder,
    SetCreditLimit,
    account_decider,
)
from crm_sales_contracts.events import (
    Allocation,
    CreditApplied,
    CreditNoteIssued,
    DueInstalment,
    OrderBooked,
    OrderReleased,
    PaymentReceived,
    RefundPaid,
)
from hypothesis import given, settings
from hypothesis import strategies as st

D = Decimal
REASONS = DEFAULT_CREDIT_NOTE_REASONS


def post(invoice_id: str, *instalments: tuple[date, str], net: str, tax: str) -> PostInvoice:
    due = tuple(DueInstalment(due_on=d, amount=D(a)) for d, a in instalments)
    return PostInvoice(
        customer_id="c1", invoice_id=invoice_id, order_id=f"o-{invoice_id}",
        reference=f"F2026-{invoice_id}", issued_on=date(2026, 3, 1), currency="EUR",
        net=D(net), tax=D(tax), total=D(net) + D(tax), instalments=due,
    )  # fmt: skip


def pay(
    payment_id: str, amount: str, *invoices: str, on: date = date(2026, 4, 1)
) -> ReceivePayment:
    return ReceivePayment(
        customer_id="c1", payment_id=payment_id, currency="EUR", amount=D(amount),
        method="transfer", received_on=on, invoice_ids=invoices,
    )  # fmt: skip


def credit(note_id: str, invoice_id: str, net: str, **more: Any) -> IssueCreditNote:
    return IssueCreditNote(
        customer_id="c1", credit_note_id=note_id, invoice_id=invoice_id, net=D(net),
        reason="billing error", reasons=REASONS, issued_on=date(2026, 4, 10), **more,
    )  # fmt: skip


def run(*commands: Any) -> list[DomainEvent]:
    """The events the commands record, each decided on the state the earlier ones made."""
    events: list[DomainEvent] = []
    for command in commands:
        events += account_decider.decide(account_decider.fold(events), command)
    return events


def then(events: list[DomainEvent], command: Any) -> list[DomainEvent]:
    return account_decider.decide(account_decider.fold(events), command)


def at(invoice_id: str, instalment: int, amount: str) -> Allocation:
    return Allocation(invoice_id=invoice_id, instalment=instalment, amount=D(amount))


# Two invoices: A (121.00: 60.50 due 1 Apr, 60.50 due 1 May) and B (50.00, due 15 Apr).
A = post("A", (date(2026, 4, 1), "60.50"), (date(2026, 5, 1), "60.50"), net="100.00", tax="21.00")
B = post("B", (date(2026, 4, 15), "50.00"), net="50.00", tax="0.00")


def test_a_payment_settles_the_oldest_due_instalments_first_across_invoices() -> None:
    [paid] = then(run(A, B), pay("p1", "100.00"))
    assert isinstance(paid, PaymentReceived)
    # A's first (due 1 Apr) in full, then B's (15 Apr) with the 39.50 left; A's second
    # (1 May) nothing.
    assert paid.allocations == (at("A", 0, "60.50"), at("B", 0, "39.50"))
    assert paid.credited == D("0")


def test_an_allocation_never_exceeds_what_is_open_and_the_surplus_becomes_credit() -> None:
    [paid] = then(run(A, B), pay("p1", "200.00"))
    assert isinstance(paid, PaymentReceived)
    assert paid.allocations == (at("A", 0, "60.50"), at("B", 0, "50.00"), at("A", 1, "60.50"))
    assert paid.credited == D("29.00")  # 200.00 - 171.00


def test_named_invoices_only_are_paid_and_a_paid_or_unknown_one_is_refused() -> None:
    [paid] = then(run(A, B), pay("p1", "70.00", "B"))
    assert isinstance(paid, PaymentReceived)
    assert (paid.allocations, paid.credited) == ((at("B", 0, "50.00"),), D("20.00"))
    with pytest.raises(ConflictError, match="invoice B is paid in full"):
        then(run(A, B, pay("p1", "50.00", "B")), pay("p2", "1.00", "B"))
    with pytest.raises(NotFoundError, match="no invoice Z"):
        then(run(A), pay("p1", "1.00", "Z"))


def test_credit_pays_the_next_invoice_posted_in_its_currency() -> None:
    events = run(B, pay("p1", "80.00"))  # 30.00 surplus
    posted, applied = then(events, A)
    assert isinstance(applied, CreditApplied)
    assert applied.allocations == (at("A", 0, "30.00"),)
    [paid] = then([*events, posted, applied], pay("p2", "100.00"))
    assert isinstance(paid, PaymentReceived)
    assert paid.allocations == (at("A", 0, "30.50"), at("A", 1, "60.50"))
    assert paid.credited == D("9.00")


def test_a_retried_payment_records_nothing_and_one_with_other_facts_is_refused() -> None:
    events = run(A, pay("p1", "10.00"))
    assert then(events, pay("p1", "10.00")) == []
    with pytest.raises(ConflictError, match="other facts"):
        then(events, pay("p1", "11.00"))


def test_amounts_with_more_decimals_than_the_currency_are_refused() -> None:
    with pytest.raises(DomainError, match="more decimals"):
        then(run(A), pay("p1", "10.005"))


def test_a_credit_note_comes_off_the_last_instalments_and_releases_what_was_paid() -> None:
    # A paid in full (121.00); then 50.00 net reversed: its tax share 50 x 21/100 = 10.50, so
    # 60.50 off the second instalment, which was paid: 60.50 becomes credit.
    events = run(A, pay("p1", "121.00"))
    [note] = then(events, credit("n1", "A", "50.00"))
    assert isinstance(note, CreditNoteIssued)
    assert (note.net, note.tax, note.total) == (D("50.00"), D("10.50"), D("60.50"))
    assert note.reductions == (at("A", 1, "60.50"),)
    assert note.released == (at("A", 1, "60.50"),)
    assert note.credited == D("60.50")


def test_a_credit_note_on_an_unpaid_invoice_only_lowers_what_is_owed() -> None:
    # 70.00 net + 14.70 tax = 84.70: 60.50 off the second instalment, 24.20 off the first.
    [note] = then(run(A), credit("n1", "A", "70.00"))
    assert isinstance(note, CreditNoteIssued)
    assert note.reductions == (at("A", 1, "60.50"), at("A", 0, "24.20"))
    assert (note.released, note.credited) == ((), D("0"))
    [paid] = then(run(A, credit("n1", "A", "70.00")), pay("p1", "40.00"))
    assert isinstance(paid, PaymentReceived)
    assert (paid.allocations, paid.credited) == ((at("A", 0, "36.30"),), D("3.70"))


def test_the_last_credit_note_takes_the_tax_rounding_left_so_a_reversal_is_whole() -> None:
    # 0.10 net, 0.01 tax: half the net's share is 0.005, rounded up to 0.01; the second half
    # takes what tax is left, 0.00, so both together reverse exactly 0.11.
    odd = post("X", (date(2026, 4, 1), "0.11"), net="0.10", tax="0.01")
    events = run(odd, credit("n1", "X", "0.05"))
    [first] = events[1:]
    assert isinstance(first, CreditNoteIssued) and first.tax == D("0.01")  # 0.005 rounds up
    [last] = then(events, credit("n2", "X", "0.05"))
    assert isinstance(last, CreditNoteIssued) and last.tax == D("0.00")  # none left
    with pytest.raises(ConflictError, match=r"0\.00 of its net left"):
        then([*events, last], credit("n3", "X", "0.01"))


def test_a_return_is_credited_once() -> None:
    events = run(A, credit("n1", "A", "10.00", return_id="r1"))
    with pytest.raises(ConflictError, match="return r1 was credited already, by n1"):
        then(events, credit("n2", "A", "10.00", return_id="r1"))
    assert then(events, credit("n1", "A", "10.00", return_id="r1")) == []


def refund(refund_id: str, invoice_id: str, net: str) -> RefundInvoice:
    return RefundInvoice(
        customer_id="c1", refund_id=refund_id, invoice_id=invoice_id, net=D(net),
        method="card", reason="return", reasons=REASONS, paid_on=date(2026, 4, 20),
    )  # fmt: skip


def test_a_refund_reverses_part_of_an_invoice_and_pays_back_what_was_paid_of_it() -> None:
    # 60.00 paid of A; 100.00 net (121.00) refunded: all reversed, the 60.00 paid goes back.
    events = run(A, pay("p1", "60.00"))
    note, paid = then(events, refund("f1", "A", "100.00"))
    assert isinstance(note, CreditNoteIssued) and isinstance(paid, RefundPaid)
    assert note.reductions == (at("A", 1, "60.50"), at("A", 0, "60.50"))
    assert note.released == (at("A", 0, "60.00"),)
    assert (paid.amount, paid.invoice_id) == (D("60.00"), "A")
    assert then([*events, note, paid], refund("f1", "A", "100.00")) == []
    with pytest.raises(ConflictError, match="nothing of invoice A was paid"):
        then(run(A), refund("f1", "A", "10.00"))


def test_a_reversed_invoice_cannot_be_paid() -> None:
    events = run(A, credit("n1", "A", "100.00"))
    with pytest.raises(ConflictError, match="invoice A was reversed"):
        then(events, pay("p1", "1.00", "A"))


def test_a_credit_note_names_a_listed_reason() -> None:
    with pytest.raises(DomainError, match="reason"):
        then(run(A), credit("n1", "A", "1.00").model_copy(update={"reason": "because"}))


cents = st.integers(min_value=1, max_value=100_000).map(lambda n: D(n).scaleb(-2))


@settings(max_examples=60, deadline=None)
@given(
    invoices=st.lists(cents, min_size=1, max_size=4),
    payments=st.lists(cents, min_size=1, max_size=6),
    credited=st.lists(st.integers(min_value=0, max_value=100), max_size=3),
)
def test_allocations_never_exceed_payments_nor_an_instalment_what_it_owes(
    invoices: list[Decimal], payments: list[Decimal], credited: list[int]
) -> None:
    commands: list[Any] = [
        post(f"i{n}", (date(2026, 4, n + 1), str(amount)), net=str(amount), tax="0")
        for n, amount in enumerate(invoices)
    ]
    commands += [pay(f"p{n}", str(amount)) for n, amount in enumerate(payments)]
    for n, percent in enumerate(credited):
        net = (invoices[0] * percent / 100).quantize(D("0.01"))
        if net > 0:
            commands.append(credit(f"n{n}", "i0", str(net)))
    events: list[DomainEvent] = []
    for command in commands:
        # A credit beyond what is left of i0 is refused and records nothing.
        with contextlib.suppress(ConflictError):
            events += then(events, command)
    state = account_decider.fold(events)
    received = [e for e in events if isinstance(e, PaymentReceived)]
    for e in received:
        assert sum((a.amount for a in e.allocations), D(0)) + e.credited == e.amount
    for r in state.invoices.values():
        assert all(0 <= paid <= due for paid, due in zip(r.paid, r.due, strict=True))
    paid_in = sum((e.amount for e in received), D(0))
    owed_paid = sum((sum(r.paid, D(0)) for r in state.invoices.values()), D(0))
    assert owed_paid + state.credit.get("EUR", D(0)) == paid_in


def limit(amount: str | None, currency: str = "EUR") -> SetCreditLimit:
    return SetCreditLimit(
        customer_id="c1", currency=currency, limit=None if amount is None else D(amount)
    )


def book(order_id: str, amount: str, override_by: str | None = None) -> BookOrder:
    return BookOrder(
        customer_id="c1", order_id=order_id, currency="EUR", amount=D(amount),
        override_by=override_by,
    )  # fmt: skip


def test_an_order_above_the_credit_limit_is_refused_naming_the_sums() -> None:
    # A (121.00) open, one unbilled order of 50.00: 121.00 + 50.00 + 30.00 = 201.00 > 200.00.
    events = run(limit("200.00"), A, book("o1", "50.00"))
    with pytest.raises(RefusedError) as refused:
        then(events, book("o2", "30.00"))
    assert refused.value.message == (
        "customer c1's credit limit is 200.00 EUR: open receivables 121.00 + unbilled orders "
        "50.00 + this order 30.00 = 201.00; place it with credit_override to go above the limit"
    )
    [fits] = then(events, book("o2", "29.00"))
    assert isinstance(fits, OrderBooked) and (fits.exposure, fits.override_by) == (
        D("200.00"), None,
    )  # fmt: skip


def test_an_override_is_recorded_with_who_gave_it_and_a_retry_books_nothing() -> None:
    events = run(limit("100.00"))
    [over] = then(events, book("o1", "150.00", override_by="marta"))
    assert isinstance(over, OrderBooked) and (over.limit, over.override_by) == (
        D("100.00"), "marta",
    )  # fmt: skip
    assert then([*events, over], book("o1", "150.00")) == []
    # Within the limit an override is no override: nothing to record about it.
    [within] = then(events, book("o2", "10.00", override_by="marta"))
    assert isinstance(within, OrderBooked) and within.override_by is None


def test_an_invoiced_or_cancelled_order_no_longer_counts_as_unbilled() -> None:
    # o-A is booked at 121.00, then invoiced as A: it counts once, as a receivable.
    events = run(limit("150.00"), book("o-A", "121.00"), A)
    [fits] = then(events, book("o2", "29.00"))
    assert isinstance(fits, OrderBooked) and fits.exposure == D("150.00")
    events = run(limit("150.00"), book("o1", "140.00"),
                 ReleaseOrder(customer_id="c1", order_id="o1"))  # fmt: skip
    released = events[-1]
    assert isinstance(released, OrderReleased) and released.amount == D("140.00")
    [fits] = then(events, book("o2", "150.00"))
    assert isinstance(fits, OrderBooked) and fits.exposure == D("150.00")


def test_a_limit_is_per_currency_and_can_be_lifted() -> None:
    events = run(limit("10.00"))
    assert then(events, limit("10.00")) == []
    with pytest.raises(RefusedError):
        then(events, book("o1", "11.00"))
    jpy = BookOrder(customer_id="c1", order_id="o2", currency="JPY", amount=D("5000"))
    assert then(events, jpy) == []  # no limit in yen: nothing to count it against
    lifted = run(limit("10.00"), limit(None))
    assert then(lifted, book("o1", "11.00")) == []


def test_an_order_invoiced_in_part_still_counts_what_is_left_to_bill() -> None:
    # o-A booked at 200.00; A bills 121.00 of it: 79.00 left unbilled, 121.00 open.
    events = run(limit("250.00"), book("o-A", "200.00"), A)
    state = account_decider.fold(events)
    assert (state.unbilled_in("EUR"), state.open_in("EUR")) == (D("79.00"), D("121.00"))
    with pytest.raises(RefusedError, match=r"121\.00 \+ unbilled orders 79\.00 \+ this order"):
        then(events, book("o2", "50.01"))
