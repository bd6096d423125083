"""Orders from web shops and points of sale, off the ingest topic (ADR 36): the order's id
comes from the sender's `(source, external_id)`, so a redelivered message finds its order
placed and records nothing. A second message with the same ids but other facts is refused to
the rejected topic: the shop's ids name one order."""

from __future__ import annotations

from crm_kernel.application import CommandHandler, CommandResult
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import DomainError

from crm_sales.application.order_placement import OrderPlacement
from crm_sales.domain import order
from crm_sales.domain.order import Order, OrderCommand, PlaceOrder


class OrderIntake:
    def __init__(
        self, orders: CommandHandler[Order, OrderCommand], placement: OrderPlacement
    ) -> None:
        self._orders = orders
        self._placement = placement

    async def take(
        self, command: PlaceOrder, metadata: Metadata, *, override: bool = False
    ) -> CommandResult | None:
        """The order placed (booked on the customer's credit first: above the limit it is
        refused to the rejected topic, unless overridden), or None when the message was taken
        already."""
        stream = order.stream_of(command.order_id)
        state, _ = await self._orders.load(stream)
        if state.placed is None:
            return await self._placement.place(command, metadata, override=override)
        placed = state.placed
        asked = (command.customer_id, command.lines, command.currency)
        if (placed.customer_id, placed.lines, placed.currency) != asked:
            raise DomainError(
                f"order {command.order_id} was placed already with other lines, customer or "
                "currency: the sender's source and external_id name one order",
                field="external_id",
            )
        return None
