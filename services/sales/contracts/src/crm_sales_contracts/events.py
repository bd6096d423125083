"""Events of the sales context."""

from __future__ import annotations

from decimal import Decimal

from crm_kernel.domain.events import DomainEvent
from pydantic import BaseModel, ConfigDict, Field


class OrderLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0)
    unit_price: Decimal = Field(ge=0, decimal_places=2)


class OrderPlaced(DomainEvent):
    """A customer placed an order; `total` is the sum of its lines."""

    event_type = "crm.sales.OrderPlaced.v1"

    order_id: str
    customer_id: str
    lines: tuple[OrderLine, ...]
    total: Decimal
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    payment_method: str | None = None
