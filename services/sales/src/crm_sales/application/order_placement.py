"""Placing and cancelling an order with the customer's credit in view (ADR 41): before an order
is placed it is booked on the customer's account, which refuses it when open receivables plus
unbilled orders would go above the credit limit (unless overridden, the override recorded with
its actor); a cancelled order is released there. Two streams, two commands in order; the order
is decided first without recording, so a refusal of either leaves nothing behind, and each
command records nothing when asked again, so a retry finishes the job."""

from __future__ import annotations

from decimal import Decimal

from crm_kernel.application import CommandHandler, CommandResult
from crm_kernel.domain.envelope import Metadata
from crm_sales_contracts.events import OrderPlaced

from crm_sales.domain import account, order
from crm_sales.domain.account import Account, AccountCommand, BookOrder, ReleaseOrder
from crm_sales.domain.order import CancelOrder, Order, OrderCommand, PlaceOrder


class OrderPlacement:
    def __init__(
        self,
        orders: CommandHandler[Order, OrderCommand],
        accounts: CommandHandler[Account, AccountCommand],
        *,
        credit_limits: bool,
    ) -> None:
        self._orders = orders
        self._accounts = accounts
        self._credit_limits = credit_limits  # off: orders are not offered to the account

    async def book(
        self,
        customer_id: str,
        order_id: str,
        currency: str,
        amount: Decimal,
        metadata: Metadata,
        *,
        override: bool = False,
    ) -> None:
        """Count the order against the customer's credit (RefusedError above the limit),
        where credit limits are kept (CRM_CREDIT_LIMITS)."""
        if not self._credit_limits:
            return
        command = BookOrder(
            customer_id=customer_id,
            order_id=order_id,
            currency=currency,
            amount=amount,
            override_by=metadata.actor if override else None,
        )
        await self._accounts.handle(account.stream_of(customer_id), command, metadata)

    async def place(
        self, command: PlaceOrder, metadata: Metadata, *, override: bool = False
    ) -> CommandResult:
        stream = order.stream_of(command.order_id)
        if self._credit_limits:
            # Only a new order is offered to the account, decided first without recording
            # (its refusals, or another order's facts under this id, book nothing).
            state, _ = await self._orders.load(stream)
            if state.placed is None:
                [placed] = order.decide(state, command)
                assert isinstance(placed, OrderPlaced)
                gross = placed.total + (placed.tax or Decimal(0))
                await self.book(
                    command.customer_id,
                    command.order_id,
                    command.currency,
                    gross,
                    metadata,
                    override=override,
                )
        return await self._orders.handle(stream, command, metadata)

    async def cancel(self, command: CancelOrder, metadata: Metadata) -> CommandResult:
        cancelled = await self._orders.handle(order.stream_of(command.order_id), command, metadata)
        if not self._credit_limits:
            return cancelled  # nothing was booked
        state: Order = cancelled.state
        assert state.placed is not None  # a cancellation is of a placed order
        customer = state.placed.customer_id
        release = ReleaseOrder(customer_id=customer, order_id=command.order_id)
        await self._accounts.handle(account.stream_of(customer), release, metadata)
        return cancelled
