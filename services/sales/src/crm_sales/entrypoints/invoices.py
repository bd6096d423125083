"""HTTP API of invoices: translates a request into issuing an order's invoice. The day it is
issued on is the request's `occurred_at` (default today); its number is the next of its series
and year, without gaps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID, uuid4

from crm_kernel.domain.envelope import Metadata
from crm_kernel.http import CommandAccepted, write_metadata
from crm_kernel.openapi import SUBJECT_COMMAND_ERRORS
from crm_kernel.request_body import RequestBody
from crm_sales_contracts.events import (
    DueInstalment,
    PaymentTermsKind,
    Rate,
    Series,
    TermDays,
)
from fastapi import APIRouter, Depends, Request
from pydantic import Field

from crm_sales.application.invoicing import Invoicing, Terms
from crm_sales.domain.order import LineToFulfil
from crm_sales.entrypoints.http import LineQuantityRequest
from crm_sales.entrypoints.steps import StepRequest

# 404 for an order never placed; 409 for an order cancelled, or quantities beyond what is left
# to bill (the answer names the line and what is left);
# 422 for terms that do not add up (instalments summing to other than 100 %).
router = APIRouter(tags=["invoices"], responses=SUBJECT_COMMAND_ERRORS)
Write = Annotated[Metadata, Depends(write_metadata("sales:write"))]


class InstalmentRequest(RequestBody):
    percent: Rate
    days: TermDays = Field(description="After the issue day")


class TermsRequest(RequestBody):
    kind: PaymentTermsKind = Field(examples=["net"])
    days: TermDays = Field(
        default=0, description="net: after the issue day; end_of_month: after its month's end"
    )
    instalments: list[InstalmentRequest] = Field(
        default_factory=list, max_length=24, description="instalments: percents summing to 100"
    )


def _immediate() -> TermsRequest:
    return TermsRequest(kind=PaymentTermsKind.IMMEDIATE)


class IssueInvoiceRequest(StepRequest):
    invoice_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    order_id: UUID
    lines: list[LineQuantityRequest] | None = Field(
        default=None, max_length=500, description="The quantities to bill; default: the rest"
    )
    series: Series = Field(default="F", description="Capitals and digits; numbered per year")
    terms: TermsRequest = Field(default_factory=_immediate, description="Default: immediate")


class InvoiceIssuedResponse(CommandAccepted):
    invoice_id: UUID
    number: int
    reference: str = Field(description="<series><year>-<number>, e.g. F2026-000123")
    instalments: list[DueInstalment]
    order: CommandAccepted


async def _invoicing(request: Request) -> Invoicing:
    invoicing: Invoicing = request.app.state.invoicing
    return invoicing


@router.post("/invoices", status_code=201, response_model=InvoiceIssuedResponse)
async def issue_invoice(
    body: IssueInvoiceRequest,
    metadata: Write,
    invoicing: Annotated[Invoicing, Depends(_invoicing)],
) -> InvoiceIssuedResponse:
    day = (body.occurred_at or datetime.now(UTC)).astimezone(UTC).date()
    terms = Terms(
        kind=body.terms.kind,
        days=body.terms.days,
        instalments=tuple((i.percent, i.days) for i in body.terms.instalments),
    )
    done = await invoicing.issue(
        str(body.invoice_id),
        str(body.order_id),
        body.series,
        day,
        terms,
        metadata.happened_at(body.occurred_at),
        None
        if body.lines is None
        else tuple(LineToFulfil(line=i.line, quantity=i.quantity) for i in body.lines),
    )
    return InvoiceIssuedResponse.of(
        done.invoice,
        invoice_id=body.invoice_id,
        number=done.issued.number,
        reference=done.issued.reference,
        instalments=list(done.issued.instalments),
        order=CommandAccepted.of(done.order),
    )
