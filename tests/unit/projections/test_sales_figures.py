"""The 360 view's sales figures: what it derives from its section (customer_360.sales
.derived), by hand: the average order value per currency over the orders not cancelled, and
the median interval between purchases; and net revenue as a property: line nets, less returned
line nets, less credit notes (refunds' too) not for a return, however the streams interleave."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from crm_kernel.domain.envelope import Metadata, wrap
from crm_projections.domain.customer_360 import empty, fold
from crm_projections.domain.customer_360.sales import derived
from crm_sales_contracts.events import (
    CreditNoteIssued,
    OrderLine,
    OrderLineReturned,
    OrderPlaced,
)
from hypothesis import given, settings
from hypothesis import strategies as st


def order(day: str, currency: str = "EUR", status: str | None = None) -> dict:
    entry = {"id": day, "placed_at": f"2026-{day}T10:00:00Z", "currency": currency}
    return entry | ({"status": status} if status else {})


def test_average_order_value_and_the_usual_interval_between_purchases() -> None:
    sales = {
        # 100.00 + 50.00 - 20.00 returned: 130.00 over two orders kept; the cancelled one's net
        # was taken off revenue when it was cancelled.
        "revenue_by_currency": {"EUR": "130.00", "JPY": "1000"},
        "orders": [
            order("03-01"),
            order("03-11", status="cancelled"),
            order("03-31", "JPY"),
            order("04-10"),
        ],
    }
    # gaps between the kept orders: 1 Mar -> 31 Mar 30 days, -> 10 Apr 10 days: median 20.0
    assert derived(sales) == {
        "average_order_value": {"EUR": "65.00", "JPY": "1000"},
        "purchase_interval_days": 20.0,
    }


def test_before_a_second_order_there_is_no_interval() -> None:
    sales = {"revenue_by_currency": {"EUR": "10.00"}, "orders": [order("03-01")]}
    assert derived(sales) == {
        "average_order_value": {"EUR": "10.00"},
        "purchase_interval_days": None,
    }
    empty = {"revenue_by_currency": {}, "orders": []}
    assert derived(empty) == {"average_order_value": {}, "purchase_interval_days": None}


# --- net revenue: line nets - returned line nets - credit notes not for a return -------------
T0 = datetime(2026, 1, 1, tzinfo=UTC)
cents = st.integers(min_value=1, max_value=100_000).map(lambda n: Decimal(n).scaleb(-2))


@settings(max_examples=40, deadline=None)
@given(
    nets=st.lists(cents, min_size=1, max_size=5),
    returns=st.lists(cents, max_size=4),
    credits=st.lists(st.tuples(cents, st.booleans()), max_size=4),
    rng=st.randoms(use_true_random=False),
)
def test_net_revenue_is_line_nets_less_returns_less_credit_notes_not_for_a_return(
    nets: list[Decimal],
    returns: list[Decimal],
    credits: list[tuple[Decimal, bool]],
    rng: random.Random,
) -> None:
    def at(stream: str, version: int, event: object) -> list:
        when = T0 + timedelta(minutes=rng.randint(0, 10_000))
        return wrap([event], source="crm.sales", stream_id=stream, expected_version=version,
                    metadata=Metadata(actor="t"), now=when)  # fmt: skip

    batch = []
    for n, net in enumerate(nets):
        line = OrderLine(sku="S", quantity=1, unit_price=net)
        batch += at(f"order-o{n}", 0, OrderPlaced(order_id=f"o{n}", customer_id="c1",
                                                  lines=(line,), total=net, currency="EUR"))  # fmt: skip
    for n, net in enumerate(returns):
        returned = OrderLineReturned(
            order_id="o0", customer_id="c1", return_id=f"r{n}", line=0, sku="S", quantity=1,
            net=net, currency="EUR", reason="defective",
        )  # fmt: skip
        batch += at("order-o0", n + 1, returned)
    for n, (net, for_a_return) in enumerate(credits):
        note = CreditNoteIssued(
            credit_note_id=f"n{n}", invoice_id="i1", customer_id="c1", currency="EUR",
            issued_on=date(2026, 2, 1), net=net, tax=Decimal(0), total=net, reason="other",
            return_id=f"r{n}" if for_a_return else None, reductions=(), released=(),
            credited=Decimal(0),
        )  # fmt: skip
        batch += at("account-c1", n, note)
    # Streams interleaved at random, each in its own order (as one customer's partition is).
    order = [e.stream_id for e in batch]
    rng.shuffle(order)
    queues = {sid: [e for e in batch if e.stream_id == sid] for sid in dict.fromkeys(order)}
    batch = [queues[sid].pop(0) for sid in order]
    doc = fold(empty("c1"), batch)
    expected = sum(nets) - sum(returns, Decimal(0))
    expected -= sum((net for net, for_a_return in credits if not for_a_return), Decimal(0))
    assert Decimal(doc["sales"]["revenue_by_currency"]["EUR"]) == expected
    assert fold(doc, batch) == doc  # folded again: nothing changes
