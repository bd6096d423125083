"""The order aggregate: commands, state, one decision per command, and evolve."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError, DomainError
from crm_kernel.domain.events import DomainEvent
from crm_sales_contracts.events import Currency, OrderLine, OrderPlaced
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


OrderCommand = PlaceOrder


@dataclass(frozen=True)
class Order:
    placed: bool = False


decide: Decisions[Order, OrderCommand] = Decisions()


@decide.on(PlaceOrder)
def place(state: Order, command: PlaceOrder) -> list[DomainEvent]:
    if state.placed:
        raise ConflictError(f"order {command.order_id} was placed already")
    if not command.lines:
        raise DomainError("an order needs at least one line", field="lines")
    total = sum((line.unit_price * line.quantity for line in command.lines), start=0)
    return [OrderPlaced(**command.model_dump(), total=total)]


def evolve(state: Order, event: DomainEvent) -> Order:
    if isinstance(event, OrderPlaced):
        return Order(placed=True)
    return state


order_decider: Decider[Order, OrderCommand] = Decider(
    initial_state=Order, decide=decide, evolve=evolve
)
