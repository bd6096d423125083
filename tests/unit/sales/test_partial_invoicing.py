"""Invoicing part of an order (crm_sales.domain.order RecordInvoice), figures by hand: each
invoice bills its quantities' share of the lines' nets and taxes, rounded half up, and a line
billed in parts adds up to its own net and tax exactly; more than is left is a 409 naming the
line; an order invoiced in part is not cancelled."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from crm_kernel.domain.errors import ConflictError
from crm_sales.domain.order import CancelOrder, LineToFulfil, RecordInvoice
from crm_sales.domain.pricing import LineAsked, price_line
from crm_sales_contracts.events import OrderInvoiced

from tests.unit.sales.test_order_lifecycle import PLACE, history, then

D = Decimal


def bill(invoice_id: str, *lines: tuple[int, int]) -> RecordInvoice:
    asked = tuple(LineToFulfil(line=n, quantity=q) for n, q in lines) if lines else None
    return RecordInvoice(order_id="o1", invoice_id=invoice_id, lines=asked)


def amounts(events: list[Any]) -> list[tuple[Decimal | None, Decimal | None]]:
    return [(e.net, e.tax) for e in events if isinstance(e, OrderInvoiced)]


def test_an_order_is_billed_in_parts_that_add_up_to_its_net() -> None:
    # LAMP 3 x 10.00 = 30.00; BULB 10 x 1.99 = 19.90 (no tax: not from a quote).
    events = history(PLACE, bill("i1", (0, 1), (1, 3)), bill("i2", (1, 3)), bill("i3"))
    # i1: 10.00 + 3/10 of 19.90 = 5.97; i2: 6/10 = 11.94 less 5.97 = 5.97; i3: the rest.
    assert amounts(events) == [(D("15.97"), D("0")), (D("5.97"), D("0")), (D("27.96"), D("0"))]
    assert sum(net for net, _ in amounts(events)) == D("49.90")
    [last] = [e for e in events if isinstance(e, OrderInvoiced)][-1:]
    assert [(x.line, x.quantity) for x in last.lines] == [(0, 2), (1, 4)]


def test_a_quoted_line_bills_its_tax_in_shares_that_add_up() -> None:
    asked = LineAsked(sku="LAMP", name="Lamp", quantity=3, list_price=D("10.00"),
                      tax_rate=D("21"))  # fmt: skip
    priced = price_line(asked, "EUR", 0)  # net 30.00, tax 6.30
    quoted = PLACE.model_copy(
        update={"lines": PLACE.lines[:1], "quote_id": "q1", "quote_revision": 1,
                "priced": (priced,)}
    )  # fmt: skip
    events = history(quoted, bill("i1", (0, 1)), bill("i2", (0, 1)), bill("i3"))
    # 1/3 of 6.30 = 2.10 each: 2.10, 4.20 - 2.10, 6.30 - 4.20.
    assert amounts(events) == [(D("10.00"), D("2.10"))] * 3


def test_more_than_is_left_to_bill_is_refused_and_a_retry_records_nothing() -> None:
    events = history(PLACE, bill("i1", (0, 2)))
    with pytest.raises(ConflictError, match="line 0 of order o1 has 1 left to invoice, not 2"):
        then(events, bill("i2", (0, 2)))
    assert then(events, bill("i1", (0, 2))) == []
    done = history(PLACE, bill("i1"))
    with pytest.raises(ConflictError, match="invoiced in full already"):
        then(done, bill("i2"))


def test_an_order_invoiced_in_part_is_not_cancelled() -> None:
    events = history(PLACE, bill("i1", (1, 1)))
    cancel = CancelOrder(order_id="o1", reason="duplicate", reasons=("duplicate",))
    with pytest.raises(ConflictError, match="was invoiced \\(i1\\): credit it instead"):
        then(events, cancel)
