"""The invoice series aggregate: one stream per series and year, in which every invoice of
that series and year is issued, so its number is the next one without gaps (ADR 39).

A gap-free number is a legal requirement in Spain and elsewhere. Deciding it on one stream
makes it so by construction: two invoices issued at once race for the same stream version,
and the loser is decided again on the stream with the winner's number in it. An invoice
issued again (a retry) records nothing and keeps its number.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError
from crm_kernel.domain.events import DomainEvent
from crm_sales_contracts.events import DueInstalment, InvoiceIssued, PaymentTermsKind
from pydantic import BaseModel, ConfigDict

from crm_sales.domain.payment_terms import schedule


def stream_of(series: str, year: int) -> str:
    return f"invoice-series-{series}-{year}"


def reference(series: str, year: int, number: int) -> str:
    return f"{series}{year}-{number:06d}"


class IssueInvoice(BaseModel):
    model_config = ConfigDict(frozen=True)

    invoice_id: str
    series: str
    issued_on: date
    order_id: str
    customer_id: str
    currency: str
    net: Decimal
    tax: Decimal
    terms: PaymentTermsKind
    terms_days: int = 0
    instalments: tuple[tuple[Decimal, int], ...] = ()  # (percent, days): INSTALMENTS only


SeriesCommand = IssueInvoice


@dataclass(frozen=True)
class Series:
    last_number: int = 0
    issued: tuple[InvoiceIssued, ...] = ()  # in number order

    def invoice(self, invoice_id: str) -> InvoiceIssued | None:
        return next((i for i in self.issued if i.invoice_id == invoice_id), None)


decide: Decisions[Series, SeriesCommand] = Decisions()


@decide.on(IssueInvoice)
def issue(state: Series, command: IssueInvoice) -> list[DomainEvent]:
    known = state.invoice(command.invoice_id)
    if known is not None:
        if known.order_id == command.order_id:
            return []  # a retry: the invoice keeps its number
        raise ConflictError(f"invoice {command.invoice_id} was issued for another order")
    total = command.net + command.tax
    due = schedule(
        command.terms,
        command.issued_on,
        total,
        command.currency,
        days=command.terms_days,
        instalments=command.instalments,
    )
    year, number = command.issued_on.year, state.last_number + 1
    return [
        InvoiceIssued(
            invoice_id=command.invoice_id,
            customer_id=command.customer_id,
            order_id=command.order_id,
            series=command.series,
            year=year,
            number=number,
            reference=reference(command.series, year, number),
            issued_on=command.issued_on,
            currency=command.currency,
            net=command.net,
            tax=command.tax,
            total=total,
            terms=command.terms,
            terms_days=command.terms_days,
            instalments=tuple(DueInstalment(due_on=i.due_on, amount=i.amount) for i in due),
        )
    ]


def evolve(state: Series, event: DomainEvent) -> Series:
    if isinstance(event, InvoiceIssued):
        return replace(state, last_number=event.number, issued=(*state.issued, event))
    return state


series_decider: Decider[Series, SeriesCommand] = Decider(
    initial_state=Series, decide=decide, evolve=evolve
)
