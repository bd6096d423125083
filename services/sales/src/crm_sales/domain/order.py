"""The order aggregate: commands, state, one decision per command, and evolve."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError, DomainError
from crm_kernel.domain.events import DomainEvent
from crm_sales_contracts.events import Currency, OrderLine, OrderPlaced, PricedLine
from pydantic import BaseModel, BeforeValidator, ConfigDict


def stream_of(order_id: str) -> str:
    return f"order-{order_id}"


class PaymentMethodKind(StrEnum):
    CARD = "card"
    PAYPAL = "paypal"
    CASH = "cash"
    CHEQUE = "cheque"
    TRANSFER = "transfer"
    OTHER = "other"


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


# How the customer paid, matched in any letter case ("PayPal") and kept in lower case.
PaymentMethod = Annotated[PaymentMethodKind, BeforeValidator(_lower)]


class PlaceOrder(BaseModel):
    model_config = ConfigDict(frozen=True)

    order_id: str
    customer_id: str
    lines: tuple[OrderLine, ...]
    currency: Currency
    payment_method: PaymentMethod | None = None
    # From an accepted quote: its lines as priced, copied (never a reference to the quote).
    quote_id: str | None = None
    quote_revision: int | None = None
    priced: tuple[PricedLine, ...] = ()


OrderCommand = PlaceOrder


@dataclass(frozen=True)
class Order:
    placed: OrderPlaced | None = None


decide: Decisions[Order, OrderCommand] = Decisions()


@decide.on(PlaceOrder)
def place(state: Order, command: PlaceOrder) -> list[DomainEvent]:
    if state.placed is not None and command.quote_id is None:
        raise ConflictError(f"order {command.order_id} was placed already")
    if not command.lines:
        raise DomainError("an order needs at least one line", field="lines")
    if command.priced:
        total = sum((line.net for line in command.priced), start=Decimal(0))
        tax: Decimal | None = sum((line.tax for line in command.priced), start=Decimal(0))
    else:
        total, tax = sum((ln.unit_price * ln.quantity for ln in command.lines), Decimal(0)), None
    facts = {name: getattr(command, name) for name in type(command).model_fields}
    placed = OrderPlaced(**facts, total=total, tax=tax)
    if state.placed is not None:
        if state.placed.quote_id == command.quote_id:
            return []  # the accepted quote's order (its id comes from the quote), asked again
        raise ConflictError(f"order {command.order_id} was placed already")
    return [placed]


def evolve(state: Order, event: DomainEvent) -> Order:
    if isinstance(event, OrderPlaced):
        return Order(placed=event)
    return state


order_decider: Decider[Order, OrderCommand] = Decider(
    initial_state=Order, decide=decide, evolve=evolve
)
