"""HTTP API of the sales context: translates requests into commands."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid4

from crm_kernel.application import CommandHandler
from crm_kernel.auth import Principal
from crm_kernel.http import CommandAccepted, command_metadata, require_scope
from crm_kernel.openapi import COMMAND_ERRORS
from crm_kernel.request_body import Line, Money, Quantity, RequestBody
from crm_kernel.runtime import handler_for
from crm_kernel.timeinput import OccurredAt
from fastapi import APIRouter, Depends, Request
from pydantic import Field

from crm_sales.domain.order import PaymentMethod, PlaceOrder, stream_of

router = APIRouter(tags=["orders"], responses=COMMAND_ERRORS)
Writer = Annotated[Principal, Depends(require_scope("sales:write"))]
Orders = Annotated[CommandHandler[Any, Any], Depends(handler_for("order"))]


class OrderLineRequest(RequestBody):
    sku: Line = Field(min_length=1, max_length=64)
    quantity: Quantity
    unit_price: Money


class PlaceOrderRequest(RequestBody):
    order_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    customer_id: UUID
    lines: list[OrderLineRequest] = Field(min_length=1, max_length=500)
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])
    payment_method: PaymentMethod | None = Field(
        default=None, description="Any letter case; stored in lower case"
    )
    occurred_at: OccurredAt | None = Field(
        default=None, description="When it was placed, if before now (an imported order)"
    )


class OrderPlacedResponse(CommandAccepted):
    order_id: UUID


@router.post("/orders", status_code=201, response_model=OrderPlacedResponse)
async def place_order(
    body: PlaceOrderRequest, request: Request, principal: Writer, orders: Orders
) -> OrderPlacedResponse:
    command = PlaceOrder.model_validate(body.model_dump(mode="json", exclude={"occurred_at"}))
    metadata = command_metadata(request, principal).model_copy(
        update={"occurred_at": body.occurred_at}
    )
    result = await orders.handle(stream_of(command.order_id), command, metadata)
    return OrderPlacedResponse(order_id=body.order_id, **CommandAccepted.of(result).model_dump())
