"""Issuing an order's invoice (ADR 39), for all of it or some quantities of its lines: the
order's stream records what this invoice bills (beyond what is left to bill is refused there),
the series stream issues it with the next number, and the customer's account posts it as owed
(ADR 40). Three streams, three commands in order, each recording nothing when asked again, so
a retry after a failure between them finishes the job with the same number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from crm_kernel.application import CommandHandler, CommandResult
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import ConflictError, NotFoundError
from crm_sales_contracts.events import InvoiceIssued, OrderInvoiced, PaymentTermsKind

from crm_sales.domain import account, invoice_series, order
from crm_sales.domain.account import Account, AccountCommand, PostInvoice
from crm_sales.domain.invoice_series import IssueInvoice, Series, SeriesCommand
from crm_sales.domain.order import LineToFulfil, Order, OrderCommand, RecordInvoice


@dataclass(frozen=True)
class Terms:
    kind: PaymentTermsKind
    days: int = 0
    instalments: tuple[tuple[Decimal, int], ...] = ()


@dataclass(frozen=True)
class Issued:
    order: CommandResult
    invoice: CommandResult
    issued: InvoiceIssued
    posted: CommandResult


class Invoicing:
    def __init__(
        self,
        orders: CommandHandler[Order, OrderCommand],
        series: CommandHandler[Series, SeriesCommand],
        accounts: CommandHandler[Account, AccountCommand],
    ) -> None:
        self._orders = orders
        self._series = series
        self._accounts = accounts

    async def issue(
        self,
        invoice_id: str,
        order_id: str,
        series: str,
        issued_on: date,
        terms: Terms,
        metadata: Metadata,
        lines: tuple[LineToFulfil, ...] | None = None,
    ) -> Issued:
        """`lines`: the quantities to bill; None, every line's rest."""
        stream = order.stream_of(order_id)
        state, _ = await self._orders.load(stream)
        placed = state.placed
        if placed is None:
            raise NotFoundError(f"no order {order_id}: place it first")
        if state.cancelled:
            raise ConflictError(f"order {order_id} was cancelled: there is nothing to invoice")
        record = RecordInvoice(order_id=order_id, invoice_id=invoice_id, lines=lines)
        # What it bills: recorded by an earlier try, or decided now (its refusals record nothing).
        part = state.invoice(invoice_id)
        if part is None:
            [decided] = order.decide(state, record)
            assert isinstance(decided, OrderInvoiced)
            part = decided
        command = IssueInvoice(
            invoice_id=invoice_id,
            series=series,
            issued_on=issued_on,
            order_id=order_id,
            customer_id=placed.customer_id,
            currency=placed.currency,
            net=placed.total if part.net is None else part.net,
            tax=(placed.tax or Decimal(0)) if part.tax is None else part.tax,
            terms=terms.kind,
            terms_days=terms.days,
            instalments=terms.instalments,
        )
        # The terms are checked before anything is recorded: a refusal invoices nothing.
        invoice_series.decide(Series(), command)
        recorded = await self._orders.handle(stream, record, metadata)
        numbered = await self._series.handle(
            invoice_series.stream_of(series, issued_on.year), command, metadata
        )
        found: Series = numbered.state
        issued = found.invoice(invoice_id)
        assert issued is not None  # the stream holds it now, issued by this call or a retry
        owed = PostInvoice(**{name: getattr(issued, name) for name in PostInvoice.model_fields})
        posted = await self._accounts.handle(account.stream_of(issued.customer_id), owed, metadata)
        return Issued(recorded, numbered, issued, posted)
