"""Payment terms and gap-free invoice numbers (crm_sales.domain.payment_terms,
invoice_series), figures by hand: month ends and leap years, instalments that add up to the
total exactly, and an invoice asked for again keeping its number."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from crm_kernel.domain.errors import ConflictError, DomainError
from crm_sales.domain.invoice_series import IssueInvoice, series_decider, stream_of
from crm_sales.domain.payment_terms import end_of_month, schedule
from crm_sales_contracts.events import InvoiceIssued, PaymentTermsKind
from hypothesis import given
from hypothesis import strategies as st

D = Decimal
K = PaymentTermsKind


def test_immediate_net_and_end_of_month_terms() -> None:
    day = date(2026, 1, 15)
    assert [i.due_on for i in schedule(K.IMMEDIATE, day, D("100"), "EUR")] == [day]
    assert [i.due_on for i in schedule(K.NET, day, D("100"), "EUR", days=30)] == [date(2026, 2, 14)]
    # Net 30 end of month: 31 January + 30 days = 2 March (2026 is no leap year)
    assert schedule(K.END_OF_MONTH, day, D("100"), "EUR", days=30)[0].due_on == date(2026, 3, 2)
    assert end_of_month(date(2028, 2, 3)) == date(2028, 2, 29)  # a leap year
    assert end_of_month(date(2026, 2, 3)) == date(2026, 2, 28)


def test_instalments_add_up_to_the_total_the_last_taking_what_rounding_left() -> None:
    parts = ((D("33.33"), 0), (D("33.33"), 30), (D("33.34"), 60))
    due = schedule(K.INSTALMENTS, date(2026, 1, 31), D("100.00"), "EUR", instalments=parts)
    assert [(i.due_on, i.amount) for i in due] == [
        (date(2026, 1, 31), D("33.33")),
        (date(2026, 3, 2), D("33.33")),
        (date(2026, 4, 1), D("33.34")),
    ]
    halves = schedule(K.INSTALMENTS, date(2026, 1, 1), D("0.05"), "EUR",
                      instalments=((D("50"), 0), (D("50"), 30)))  # fmt: skip
    assert [i.amount for i in halves] == [D("0.03"), D("0.02")]  # 0.025 rounds half up


def test_instalments_must_sum_to_100_and_come_in_due_date_order() -> None:
    with pytest.raises(DomainError, match="sum to 100"):
        schedule(K.INSTALMENTS, date(2026, 1, 1), D("10"), "EUR",
                 instalments=((D("50"), 0), (D("40"), 30)))  # fmt: skip
    with pytest.raises(DomainError, match="due-date order"):
        schedule(K.INSTALMENTS, date(2026, 1, 1), D("10"), "EUR",
                 instalments=((D("50"), 30), (D("50"), 0)))  # fmt: skip


@given(
    total=st.integers(min_value=1, max_value=10**9).map(lambda n: D(n).scaleb(-2)),
    cuts=st.lists(st.integers(min_value=1, max_value=99), min_size=1, max_size=5, unique=True),
)
def test_any_instalments_add_up_exactly(total: Decimal, cuts: list[int]) -> None:
    points = [0, *sorted(cuts), 100]
    parts = tuple((D(b - a), n * 30) for n, (a, b) in enumerate(pairwise(points)))
    due = schedule(K.INSTALMENTS, date(2026, 1, 1), total, "EUR", instalments=parts)
    assert sum(i.amount for i in due) == total
    assert all(i.amount >= 0 for i in due)


def issue(invoice_id: str, order_id: str = "o1", **fields: Any) -> IssueInvoice:
    base: dict[str, Any] = {
        "invoice_id": invoice_id, "series": "F", "issued_on": date(2026, 5, 4),
        "order_id": order_id, "customer_id": "c1", "currency": "EUR", "net": D("100.00"),
        "tax": D("21.00"), "terms": K.NET, "terms_days": 30,
    }  # fmt: skip
    return IssueInvoice(**(base | fields))


def test_invoices_of_a_series_and_year_are_numbered_without_gaps_and_keep_their_number() -> None:
    events: list[Any] = []
    for n in range(3):
        events += series_decider.decide(series_decider.fold(events), issue(f"i{n}", f"o{n}"))
    assert [(e.number, e.reference) for e in events] == [
        (1, "F2026-000001"), (2, "F2026-000002"), (3, "F2026-000003"),
    ]  # fmt: skip
    first = events[0]
    assert isinstance(first, InvoiceIssued)
    assert (first.total, first.instalments[0].due_on) == (D("121.00"), date(2026, 6, 3))
    assert series_decider.decide(series_decider.fold(events), issue("i1", "o1")) == []
    with pytest.raises(ConflictError, match="issued for another order"):
        series_decider.decide(series_decider.fold(events), issue("i1", "o9"))
    assert stream_of("F", 2026) == "invoice-series-F-2026"


def test_instalments_never_fall_below_nothing_however_the_shares_round() -> None:
    # Four quarters of 0.02: running shares 0.005, 0.01, 0.015, 0.02 round to 0.01, 0.01,
    # 0.02, 0.02; the instalments are the steps: 0.01, 0.00, 0.01, 0.00.
    quarters = tuple((D("25"), n * 30) for n in range(4))
    due = schedule(K.INSTALMENTS, date(2026, 1, 1), D("0.02"), "EUR", instalments=quarters)
    assert [i.amount for i in due] == [D("0.01"), D("0.00"), D("0.01"), D("0.00")]
