"""Given events / when command / then events (or a refusal), for the sales order decider:
each rule of its decision, and what `evolve` makes of each event."""

from __future__ import annotations

from decimal import Decimal

import pytest
from crm_kernel.domain.decider import Decider
from crm_kernel.domain.errors import ConflictError, DomainError
from crm_kernel.domain.events import DomainEvent
from crm_sales.domain.order import Order, PaymentMethodKind, PlaceOrder, order_decider
from crm_sales_contracts.events import OrderLine, OrderPlaced


def then(decider: Decider, given: list[DomainEvent], command: object) -> list[DomainEvent]:
    return decider.decide(decider.fold(given), command)


PLACE = PlaceOrder(
    order_id="o1",
    customer_id="c1",
    currency="EUR",
    lines=(
        OrderLine(sku="A", quantity=2, unit_price=Decimal("10.50")),
        OrderLine(sku="B", quantity=1, unit_price=Decimal("3.00")),
    ),
)


# --- moved from tests/unit/test_deciders.py, assertions unchanged ---------------------------


def test_placing_an_order_totals_its_lines() -> None:
    [event] = then(order_decider, [], PLACE)
    assert isinstance(event, OrderPlaced)
    assert event.total == Decimal("24.00")
    assert event.customer_key() == "c1"


def test_an_order_without_lines_is_refused() -> None:
    with pytest.raises(DomainError, match="at least one line") as refused:
        then(order_decider, [], PLACE.model_copy(update={"lines": ()}))
    assert refused.value.field == "lines"


def test_placing_the_same_order_twice_is_refused() -> None:
    with pytest.raises(ConflictError):
        then(order_decider, then(order_decider, [], PLACE), PLACE)


# --- decide ---------------------------------------------------------------------------------

PLACED = OrderPlaced(
    order_id="o1",
    customer_id="c1",
    currency="EUR",
    lines=PLACE.lines,
    total=Decimal("24.00"),
)


def test_a_new_order_records_every_fact_of_the_command_and_its_total() -> None:
    paid = PLACE.model_copy(update={"payment_method": PaymentMethodKind.PAYPAL})
    assert then(order_decider, [], paid) == [PLACED.model_copy(update={"payment_method": "paypal"})]
    assert then(order_decider, [], PLACE) == [PLACED]


def test_the_payment_method_is_read_in_any_letter_case() -> None:
    command = PlaceOrder.model_validate({**PLACE.model_dump(), "payment_method": " PayPal "})
    [event] = then(order_decider, [], command)
    assert isinstance(event, OrderPlaced)
    assert event.payment_method == "paypal"


def test_the_total_multiplies_each_price_by_its_quantity() -> None:
    lines = (
        OrderLine(sku="A", quantity=3, unit_price=Decimal("0.10")),
        OrderLine(sku="B", quantity=1_000, unit_price=Decimal("0.00")),
    )
    [event] = then(order_decider, [], PLACE.model_copy(update={"lines": lines}))
    assert isinstance(event, OrderPlaced)
    assert event.total == Decimal("0.30")


def test_an_order_placed_already_is_refused_with_its_id() -> None:
    with pytest.raises(ConflictError, match="order o1 was placed already"):
        then(order_decider, [PLACED], PLACE)


def test_an_order_placed_already_is_refused_before_its_lines_are_looked_at() -> None:
    with pytest.raises(ConflictError, match="placed already"):
        then(order_decider, [PLACED], PLACE.model_copy(update={"lines": ()}))


# --- evolve ---------------------------------------------------------------------------------


class Unrelated(DomainEvent):
    """An event the order does not know (no type name: not registered)."""


def order_placed() -> Order:
    """The state after PLACED: placed, nothing of its lines delivered, returned or invoiced."""
    zeros, nothing = (0,) * len(PLACED.lines), (Decimal(0),) * len(PLACED.lines)
    return Order(
        placed=PLACED, fulfilled=zeros, returned=zeros, invoiced=zeros, invoiced_net=nothing,
        invoiced_tax=nothing,
    )  # fmt: skip


def test_a_new_order_is_not_placed() -> None:
    assert order_decider.fold([]) == Order(placed=None)


def test_order_placed_marks_the_order_placed() -> None:
    assert order_decider.fold([PLACED]) == order_placed()


def test_an_event_the_order_does_not_know_leaves_its_state_as_it_was() -> None:
    assert order_decider.fold([Unrelated()]) == Order(placed=None)
    assert order_decider.fold([PLACED, Unrelated()]) == order_placed()
