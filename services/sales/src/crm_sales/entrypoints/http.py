"""HTTP API of the sales context: translates requests into commands."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import Metadata
from crm_kernel.http import CommandAccepted, accept, write_metadata
from crm_kernel.openapi import COMMAND_ERRORS
from crm_kernel.request_body import Line, RequestBody
from crm_kernel.runtime import handler_of
from crm_kernel.timeinput import OccurredAt
from crm_sales_contracts.events import SKU, Currency, Money, Quantity
from fastapi import APIRouter, Depends
from pydantic import Field

from crm_sales.domain.order import (
    Order,
    OrderCommand,
    PaymentMethod,
    PlaceOrder,
    order_decider,
    stream_of,
)

router = APIRouter(tags=["orders"], responses=COMMAND_ERRORS)
Write = Annotated[Metadata, Depends(write_metadata("sales:write"))]
Orders = Annotated[CommandHandler[Order, OrderCommand], Depends(handler_of(order_decider))]


class OrderLineRequest(RequestBody):
    sku: Annotated[Line, SKU]
    quantity: Quantity
    unit_price: Money


class OrderFields(RequestBody):
    """An order as HTTP clients and the ingest topic send it."""

    customer_id: UUID
    lines: list[OrderLineRequest] = Field(min_length=1, max_length=500)
    currency: Currency = Field(examples=["EUR"])
    payment_method: PaymentMethod | None = Field(
        default=None, description="Any letter case; stored in lower case"
    )
    occurred_at: OccurredAt | None = Field(
        default=None, description="When it was placed, if before now (an imported order)"
    )


class PlaceOrderRequest(OrderFields):
    order_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")


class OrderPlacedResponse(CommandAccepted):
    order_id: UUID


@router.post("/orders", status_code=201, response_model=OrderPlacedResponse)
async def place_order(
    body: PlaceOrderRequest, metadata: Write, orders: Orders
) -> OrderPlacedResponse:
    command = PlaceOrder.model_validate(body.model_dump(mode="json", exclude={"occurred_at"}))
    return await accept(
        orders,
        stream_of(command.order_id),
        command,
        metadata.happened_at(body.occurred_at),
        OrderPlacedResponse,
        order_id=body.order_id,
    )
