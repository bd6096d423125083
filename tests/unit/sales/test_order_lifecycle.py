"""Given events / when command / then events (or a refusal), for an order's later steps:
fulfilment in full or per line, cancellation before any delivery, returns per line once per
return id with their share of the line's net; and what the 360 view makes of them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from crm_kernel.domain.envelope import Metadata, wrap
from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError
from crm_kernel.domain.events import DomainEvent
from crm_kernel.domain.reasons import DEFAULT_RETURN_REASONS
from crm_projections.domain.customer_360 import empty, fold
from crm_sales.domain.order import (
    DEFAULT_CANCELLATION_REASONS,
    CancelOrder,
    FulfilOrder,
    LineToFulfil,
    PlaceOrder,
    ReturnLine,
    order_decider,
)
from crm_sales.domain.pricing import LineAsked, price_line
from crm_sales_contracts.events import (
    DiscountKind,
    OrderCancelled,
    OrderFulfilled,
    OrderLine,
    OrderLineReturned,
)

D = Decimal
PLACE = PlaceOrder(
    order_id="o1",
    customer_id="c1",
    currency="EUR",
    lines=(
        OrderLine(sku="LAMP", quantity=3, unit_price=D("10.00")),
        OrderLine(sku="BULB", quantity=10, unit_price=D("1.99")),
    ),
)


def then(given: list[DomainEvent], command: Any) -> list[DomainEvent]:
    return order_decider.decide(order_decider.fold(given), command)


def history(*commands: Any) -> list[DomainEvent]:
    events: list[DomainEvent] = []
    for command in commands:
        events += then(events, command)
    return events


def fulfil(*lines: tuple[int, int]) -> FulfilOrder:
    asked = tuple(LineToFulfil(line=n, quantity=q) for n, q in lines) if lines else None
    return FulfilOrder(order_id="o1", lines=asked)


def give_back(return_id: str, line: int, quantity: int, reason: str = "defective") -> ReturnLine:
    return ReturnLine(
        order_id="o1",
        return_id=return_id,
        line=line,
        quantity=quantity,
        reason=reason,
        reasons=DEFAULT_RETURN_REASONS,
    )


CANCEL = CancelOrder(order_id="o1", reason="Out of stock", reasons=DEFAULT_CANCELLATION_REASONS)


def test_an_order_is_fulfilled_per_line_then_in_full_and_not_beyond() -> None:
    [part] = then(history(PLACE), fulfil((1, 4)))
    assert isinstance(part, OrderFulfilled) and not part.complete
    assert [(i.line, i.sku, i.quantity) for i in part.lines] == [(1, "BULB", 4)]
    [rest] = then(history(PLACE, fulfil((1, 4))), fulfil())
    assert isinstance(rest, OrderFulfilled) and rest.complete
    assert [(i.line, i.quantity) for i in rest.lines] == [(0, 3), (1, 6)]
    with pytest.raises(ConflictError, match="line 1 of order o1 has 6 left to deliver, not 7"):
        then(history(PLACE, fulfil((1, 4))), fulfil((1, 7)))
    assert then(history(PLACE, fulfil()), fulfil()) == []  # nothing left
    with pytest.raises(DomainError, match="has lines 0 to 1"):
        then(history(PLACE), fulfil((2, 1)))
    with pytest.raises(NotFoundError, match="place it first"):
        then([], fulfil())


def test_an_order_is_cancelled_only_before_any_delivery_and_then_closed() -> None:
    [cancelled] = then(history(PLACE), CANCEL)
    assert isinstance(cancelled, OrderCancelled)
    assert (cancelled.reason, cancelled.total) == ("out of stock", D("49.90"))
    assert then([*history(PLACE), cancelled], CANCEL) == []
    with pytest.raises(ConflictError, match="was cancelled: it is closed"):
        then([*history(PLACE), cancelled], fulfil())
    with pytest.raises(ConflictError, match="delivered in part: return its lines instead"):
        then(history(PLACE, fulfil((0, 1))), CANCEL)
    with pytest.raises(DomainError, match="one of: customer request"):
        then(history(PLACE), CANCEL.model_copy(update={"reason": "bored"}))


def test_a_return_takes_its_share_of_the_line_net_once_per_return_id() -> None:
    delivered = history(PLACE, fulfil())
    [back] = then(delivered, give_back("r1", 1, 3))
    assert isinstance(back, OrderLineReturned)
    assert (back.sku, back.quantity, back.net, back.reason) == ("BULB", 3, D("5.97"), "defective")
    assert then([*delivered, back], give_back("r1", 1, 3)) == []  # the same return line again
    with pytest.raises(ConflictError, match="return r1 was recorded with other facts"):
        then([*delivered, back], give_back("r1", 1, 2))
    with pytest.raises(ConflictError, match="has 7 delivered and not returned, not 8"):
        then([*delivered, back], give_back("r2", 1, 8))
    with pytest.raises(ConflictError, match="has 0 delivered and not returned"):
        then(history(PLACE), give_back("r1", 0, 1))


def test_a_return_of_a_quoted_line_counts_its_discounted_net() -> None:
    asked = LineAsked(
        sku="LAMP",
        name="Lamp",
        quantity=3,
        list_price=D("10.00"),
        discount_kind=DiscountKind.PERCENT,
        discount_value=D("10"),
        tax_rate=D("21"),
    )
    priced = price_line(asked, "EUR", 0)  # net 27.00
    quoted = PLACE.model_copy(
        update={
            "lines": PLACE.lines[:1],
            "quote_id": "q1",
            "quote_revision": 1,
            "priced": (priced,),
        }
    )
    [back] = then(history(quoted, fulfil()), give_back("r1", 0, 1))
    assert back.net == D("9.00")  # type: ignore[attr-defined]


def test_the_360_view_follows_fulfilment_returns_and_cancellation() -> None:
    events = history(PLACE, fulfil((1, 4)), fulfil(), give_back("r1", 1, 3))
    at = datetime(2026, 3, 1, tzinfo=UTC)
    stream = wrap(
        events, source="crm.sales", stream_id="order-o1", expected_version=0,
        metadata=Metadata(actor="t"), now=at,
    )  # fmt: skip
    doc = fold(empty("c1"), stream)
    [order] = doc["sales"]["orders"]
    assert (order["status"], order["fulfilled_items"], order["returned_items"]) == (
        "fulfilled", 13, 3,
    )  # fmt: skip
    assert order["returned_net"] == "5.97"
    assert doc["sales"]["revenue_by_currency"] == {"EUR": "43.93"}  # 49.90 - 5.97
    assert fold(doc, stream) == doc  # folded again: the same
    cancelled = history(PLACE, CANCEL)
    doc = fold(
        empty("c1"),
        wrap(cancelled, source="crm.sales", stream_id="order-o1", expected_version=0,
             metadata=Metadata(actor="t"), now=at),
    )  # fmt: skip
    assert doc["sales"]["orders"][0]["status"] == "cancelled"
    assert doc["sales"]["revenue_by_currency"] == {"EUR": "0.00"}
