"""HTTP API of the sales context: translates requests into commands."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import Metadata
from crm_kernel.http import CommandAccepted, write_metadata
from crm_kernel.openapi import COMMAND_ERRORS, SUBJECT_COMMAND_ERRORS
from crm_kernel.request_body import Line, RequestBody
from crm_kernel.runtime import handler_of
from crm_kernel.timeinput import OccurredAt
from crm_sales_contracts.events import (
    ORDER_REASON,
    SKU,
    Currency,
    LineNumber,
    Money,
    Quantity,
)
from fastapi import APIRouter, Depends, Request
from pydantic import Field

from crm_sales.application.order_placement import OrderPlacement
from crm_sales.domain.order import (
    CancelOrder,
    FulfilOrder,
    LineToFulfil,
    Order,
    OrderCommand,
    PaymentMethod,
    PlaceOrder,
    ReturnLine,
    order_decider,
    stream_of,
)
from crm_sales.entrypoints.steps import Configured, StepRequest, accept_step, bounded

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
    credit_override: bool = Field(
        default=False,
        description="Place it above the customer's credit limit; recorded with who asked",
    )


class PlaceOrderRequest(OrderFields):
    order_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")


class OrderPlacedResponse(CommandAccepted):
    order_id: UUID


async def _placement(request: Request) -> OrderPlacement:
    placement: OrderPlacement = request.app.state.order_placement
    return placement


Placement = Annotated[OrderPlacement, Depends(_placement)]


# 409 above the customer's credit limit (the answer names the limit and what it adds up to).
@router.post("/orders", status_code=201, response_model=OrderPlacedResponse)
async def place_order(
    body: PlaceOrderRequest, metadata: Write, placement: Placement
) -> OrderPlacedResponse:
    command = PlaceOrder.model_validate(
        body.model_dump(mode="json", exclude={"occurred_at", "credit_override"})
    )
    placed = await placement.place(
        command, metadata.happened_at(body.occurred_at), override=body.credit_override
    )
    return OrderPlacedResponse.of(placed, order_id=body.order_id)


# The order's lifecycle: 404 for an order never placed, 409 for a quantity beyond what is left
# (the answer names the line and what is left) or any step on a cancelled order.


async def _step(
    orders: CommandHandler[Order, OrderCommand],
    command: FulfilOrder | CancelOrder | ReturnLine,
    metadata: Metadata,
    body: StepRequest,
) -> CommandAccepted:
    stream = stream_of(command.order_id)
    return await accept_step(orders, stream, command, metadata, body, CommandAccepted)


class LineQuantityRequest(RequestBody):
    line: LineNumber = Field(description="The line's place in the order, from 0")
    quantity: Quantity


class FulfilmentRequest(StepRequest):
    lines: list[LineQuantityRequest] | None = Field(
        default=None, max_length=500, description="Default: every line's rest"
    )


@router.post(
    "/orders/{order_id}/fulfilment",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def fulfil_order(
    order_id: UUID, body: FulfilmentRequest, metadata: Write, orders: Orders
) -> CommandAccepted:
    lines = None
    if body.lines is not None:
        lines = tuple(LineToFulfil(line=i.line, quantity=i.quantity) for i in body.lines)
    command = FulfilOrder(order_id=str(order_id), lines=lines)
    return await accept_step(
        orders, stream_of(command.order_id), command, metadata, body, CommandAccepted
    )


class CancellationRequest(StepRequest):
    reason: Line = bounded(ORDER_REASON, description="One of CRM_ORDER_CANCELLATION_REASONS")


@router.post(
    "/orders/{order_id}/cancellation",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def cancel_order(
    order_id: UUID,
    body: CancellationRequest,
    metadata: Write,
    placement: Placement,
    settings: Configured,
) -> CommandAccepted:
    command = CancelOrder(
        order_id=str(order_id), reason=body.reason, reasons=settings.order_cancellation_reasons
    )
    cancelled = await placement.cancel(command, metadata.happened_at(body.occurred_at))
    return CommandAccepted.of(cancelled)


class ReturnRequest(StepRequest):
    return_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    line: LineNumber = Field(description="The line's place in the order, from 0")
    quantity: Quantity
    reason: Line = bounded(ORDER_REASON, description="One of CRM_RETURN_REASONS")


@router.post(
    "/orders/{order_id}/returns", response_model=CommandAccepted, responses=SUBJECT_COMMAND_ERRORS
)
async def return_line(
    order_id: UUID,
    body: ReturnRequest,
    metadata: Write,
    orders: Orders,
    settings: Configured,
) -> CommandAccepted:
    command = ReturnLine(
        order_id=str(order_id),
        return_id=str(body.return_id),
        line=body.line,
        quantity=body.quantity,
        reason=body.reason,
        reasons=settings.return_reasons,
    )
    return await accept_step(
        orders, stream_of(command.order_id), command, metadata, body, CommandAccepted
    )
