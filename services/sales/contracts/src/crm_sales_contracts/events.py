"""Events of the sales context."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from crm_kernel.domain.events import DomainEvent
from pydantic import BaseModel, ConfigDict, Field

# Each bound once, for the request, the command and the event alike (a request's text field
# adds its text check: `Annotated[Line, SKU]`).
MAX_QUANTITY = 1_000_000
MAX_MONEY = Decimal(10**12)
SKU = Field(min_length=1, max_length=64)
Sku = Annotated[str, SKU]
# Strict: `true` is not a quantity (lax validation reads it as 1).
Quantity = Annotated[int, Field(gt=0, le=MAX_QUANTITY, strict=True)]
# Money amounts in the currency's unit, in cents at most.
Money = Annotated[Decimal, Field(ge=0, le=MAX_MONEY, decimal_places=2, max_digits=15)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class OrderLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: Sku
    quantity: Quantity
    unit_price: Money


class OrderPlaced(DomainEvent):
    """A customer placed an order; `total` is the sum of its lines."""

    event_type = "crm.sales.OrderPlaced.v1"

    order_id: str
    customer_id: str
    lines: tuple[OrderLine, ...]
    total: Decimal
    currency: Currency
    payment_method: str | None = None
