"""Accepting a quote (ADR 35): the order it places is booked on the customer's credit (ADR 41;
refused above the limit, before anything is recorded), the quote's stream records the
acceptance, then the order is recorded on its own stream with a copy of the accepted
revision's lines, then the quote's opportunity, if it has one, is priced at the quote's net
and won. Four streams, so four commands in order. The order's id comes from the quote and its
revision, and each command records nothing when asked again, so a retry after a failure
between them finishes the job, as a lead's conversion does (ADR 29)."""

from __future__ import annotations

from dataclasses import dataclass

from crm_kernel.application import CommandHandler, CommandResult
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import ConflictError
from crm_sales_contracts.events import OrderLine, QuoteAccepted

from crm_sales.application.order_placement import OrderPlacement
from crm_sales.domain import opportunity, order, quote
from crm_sales.domain.opportunity import (
    ChangeAmount,
    Opportunity,
    OpportunityCommand,
    Status,
    Win,
)
from crm_sales.domain.order import Order, OrderCommand, PlaceOrder
from crm_sales.domain.quote import AcceptQuote, Quote, QuoteCommand, order_id_of


@dataclass(frozen=True)
class Accepted:
    quote: CommandResult
    order: CommandResult
    opportunity: CommandResult | None


class QuoteAcceptance:
    def __init__(
        self,
        quotes: CommandHandler[Quote, QuoteCommand],
        orders: CommandHandler[Order, OrderCommand],
        deals: CommandHandler[Opportunity, OpportunityCommand],
        placement: OrderPlacement,
    ) -> None:
        self._quotes = quotes
        self._orders = orders
        self._deals = deals
        self._placement = placement

    async def accept(
        self,
        command: AcceptQuote,
        payment_method: str | None,
        metadata: Metadata,
        *,
        override: bool = False,
    ) -> Accepted:
        stream = quote.stream_of(command.quote_id)
        before, _ = await self._quotes.load(stream)
        deal_before = None
        if before.latest is not None and before.latest.opportunity_id is not None:
            deal_before = await self._deal_to_win(before.latest.opportunity_id)
        order_id = before.order_id or order_id_of(command.quote_id, before.revision)
        command = command.model_copy(update={"order_id": order_id})
        if before.order_id is None:
            # Decided first without recording: an acceptance refused books nothing.
            [decided, *_] = quote.decide(before, command)
            assert isinstance(decided, QuoteAccepted)
            await self._placement.book(
                decided.customer_id,
                order_id,
                decided.currency,
                decided.totals.total,
                metadata,
                override=override,
            )
        accepted = await self._quotes.handle(stream, command, metadata)
        state: Quote = accepted.state
        latest = state.latest
        assert latest is not None
        place = PlaceOrder(
            order_id=order_id,
            customer_id=latest.customer_id,
            lines=tuple(
                OrderLine(sku=line.sku, quantity=line.quantity, unit_price=line.list_price)
                for line in latest.lines
            ),
            currency=latest.currency,
            payment_method=payment_method,
            quote_id=command.quote_id,
            quote_revision=latest.revision,
            priced=latest.lines,
        )
        placed = await self._orders.handle(order.stream_of(order_id), place, metadata)
        won = None
        if latest.opportunity_id is not None:
            deal = opportunity.stream_of(latest.opportunity_id)
            net = ChangeAmount(
                opportunity_id=latest.opportunity_id,
                amount=latest.totals.net,
                currency=latest.currency,
            )
            # The deal as read before the acceptance: a retry finds it won and prices nothing.
            if deal_before is not None and deal_before.status is Status.OPEN:
                await self._deals.handle(deal, net, metadata)
            won = await self._deals.handle(
                deal, Win(opportunity_id=latest.opportunity_id), metadata
            )
        return Accepted(accepted, placed, won)

    async def _deal_to_win(self, opportunity_id: str) -> Opportunity:
        """The quote's deal; a quote whose deal was lost is not accepted: nothing is recorded
        (reopen it)."""
        state, _ = await self._deals.load(opportunity.stream_of(opportunity_id))
        if state.opened is None:
            raise ConflictError(
                f"the quote's opportunity {opportunity_id} was never opened: open it first"
            )
        if state.status is Status.LOST:
            raise ConflictError(
                f"the quote's opportunity {opportunity_id} is lost: reopen it before the "
                "quote is accepted"
            )
        return state
