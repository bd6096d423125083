"""HTTP API of quotes: translates requests into quote commands. A line names a product of the
catalogue and overrides what it must; the day a step happens on is the request's
`occurred_at` (default: today), which decides a quote's validity and expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from uuid import UUID, uuid4

from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import NotFoundError
from crm_kernel.http import CommandAccepted, write_metadata
from crm_kernel.openapi import COMMAND_ERRORS, SUBJECT_COMMAND_ERRORS
from crm_kernel.request_body import Line, OptionalLine, OptionalText, RequestBody
from crm_kernel.runtime import handler_of
from crm_sales_contracts.events import (
    PRODUCT_NAME,
    QUOTE_TITLE,
    REJECTION_REASON,
    SKU,
    Amount,
    Currency,
    DiscountKind,
    Quantity,
    Rate,
    ValidityDays,
)
from fastapi import APIRouter, Depends, Request
from pydantic import Field

from crm_sales.application.quote_acceptance import QuoteAcceptance
from crm_sales.application.quote_lines import QuoteLines
from crm_sales.domain.order import PaymentMethod
from crm_sales.domain.pricing import LineRequested
from crm_sales.domain.quote import (
    DEFAULT_VALIDITY_DAYS,
    AcceptQuote,
    DraftQuote,
    Quote,
    QuoteCommand,
    RejectQuote,
    ReviseQuote,
    SendQuote,
    quote_decider,
    stream_of,
)
from crm_sales.entrypoints.steps import Configured, StepRequest, accept_step, bounded, optional

# Every route: 409 when the quote is closed (accepted or rejected), expired, or names an
# older revision; 422 for a line the catalogue cannot price; 404 for a quote never drafted.
router = APIRouter(tags=["quotes"], responses=COMMAND_ERRORS)
Write = Annotated[Metadata, Depends(write_metadata("sales:write"))]
Quotes = Annotated[CommandHandler[Quote, QuoteCommand], Depends(handler_of(quote_decider))]


class QuoteLineRequest(RequestBody):
    sku: Line = bounded(SKU, description="A product of the catalogue")
    quantity: Quantity
    name: OptionalLine = optional(PRODUCT_NAME, description="Default: the product's")
    list_price: Amount | None = Field(default=None, description="Default: the product's")
    tax_rate: Rate | None = Field(default=None, description="Default: the product's")
    discount_kind: DiscountKind | None = None
    discount_value: Amount | None = Field(
        default=None, description="A percent (percent) or an amount off each unit (amount)"
    )


Lines = list[QuoteLineRequest]


class DraftQuoteRequest(StepRequest):
    quote_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    customer_id: UUID
    opportunity_id: UUID | None = None
    title: Line = bounded(QUOTE_TITLE)
    currency: Currency = Field(examples=["EUR"])
    lines: Lines = Field(min_length=1, max_length=200)
    validity_days: ValidityDays = Field(
        default=DEFAULT_VALIDITY_DAYS, description="From the day it is sent; 0: never expires"
    )


class ReviseQuoteRequest(StepRequest):
    title: OptionalLine = optional(QUOTE_TITLE)
    lines: Lines | None = Field(default=None, min_length=1, max_length=200)
    validity_days: ValidityDays | None = None


class QuoteDraftedResponse(CommandAccepted):
    quote_id: UUID


async def _lines(request: Request) -> QuoteLines:
    lines: QuoteLines = request.app.state.quote_lines
    return lines


def _day(body: StepRequest) -> date:
    """The day the step happened on: the request's, else today (UTC)."""
    return (body.occurred_at or datetime.now(UTC)).astimezone(UTC).date()


def _requested(lines: Lines) -> list[LineRequested]:
    return [LineRequested(**line.model_dump()) for line in lines]


@router.post("/quotes", status_code=201, response_model=QuoteDraftedResponse)
async def draft_quote(
    body: DraftQuoteRequest,
    metadata: Write,
    quotes: Quotes,
    lines: Annotated[QuoteLines, Depends(_lines)],
) -> QuoteDraftedResponse:
    asked = await lines.asked(_requested(body.lines), body.currency)
    facts = body.model_dump(mode="json", exclude={"occurred_at", "lines"})
    command = DraftQuote(**facts, lines=asked)
    stream = stream_of(command.quote_id)
    return await accept_step(
        quotes, stream, command, metadata, body, QuoteDraftedResponse, quote_id=body.quote_id
    )


@router.patch(
    "/quotes/{quote_id}", response_model=CommandAccepted, responses=SUBJECT_COMMAND_ERRORS
)
async def revise_quote(
    quote_id: UUID,
    body: ReviseQuoteRequest,
    metadata: Write,
    quotes: Quotes,
    lines: Annotated[QuoteLines, Depends(_lines)],
) -> CommandAccepted:
    asked = None
    if body.lines is not None:
        state, _ = await quotes.load(stream_of(str(quote_id)))
        if state.latest is None:
            raise NotFoundError(f"no quote {quote_id}: draft it first")
        asked = await lines.asked(_requested(body.lines), state.latest.currency)
    command = ReviseQuote(
        quote_id=str(quote_id), title=body.title, lines=asked, validity_days=body.validity_days
    )
    stream = stream_of(command.quote_id)
    return await accept_step(quotes, stream, command, metadata, body, CommandAccepted)


@router.post(
    "/quotes/{quote_id}/sending", response_model=CommandAccepted, responses=SUBJECT_COMMAND_ERRORS
)
async def send_quote(
    quote_id: UUID, body: StepRequest, metadata: Write, quotes: Quotes
) -> CommandAccepted:
    command = SendQuote(quote_id=str(quote_id), on=_day(body))
    stream = stream_of(command.quote_id)
    return await accept_step(quotes, stream, command, metadata, body, CommandAccepted)


class AcceptQuoteRequest(StepRequest):
    revision: int | None = Field(default=None, ge=1, le=1_000, description="Default: the latest")
    payment_method: PaymentMethod | None = Field(default=None, description="For the order")
    credit_override: bool = Field(
        default=False,
        description="Place the order above the customer's credit limit; recorded with who asked",
    )


class QuoteAcceptedResponse(CommandAccepted):
    order_id: UUID = Field(description="The order the quote placed")
    order: CommandAccepted
    opportunity: CommandAccepted | None = Field(default=None, description="The deal, won")


async def _acceptance(request: Request) -> QuoteAcceptance:
    acceptance: QuoteAcceptance = request.app.state.quote_acceptance
    return acceptance


@router.post(
    "/quotes/{quote_id}/acceptance",
    response_model=QuoteAcceptedResponse,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def accept_quote(
    quote_id: UUID,
    body: AcceptQuoteRequest,
    metadata: Write,
    acceptance: Annotated[QuoteAcceptance, Depends(_acceptance)],
) -> QuoteAcceptedResponse:
    command = AcceptQuote(
        quote_id=str(quote_id), on=_day(body), order_id="", revision=body.revision
    )
    payment = None if body.payment_method is None else str(body.payment_method)
    done = await acceptance.accept(
        command, payment, metadata.happened_at(body.occurred_at), override=body.credit_override
    )
    return QuoteAcceptedResponse.of(
        done.quote,
        order_id=UUID(done.order.stream_id.removeprefix("order-")),
        order=CommandAccepted.of(done.order),
        opportunity=None if done.opportunity is None else CommandAccepted.of(done.opportunity),
    )


class RejectQuoteRequest(StepRequest):
    reason: Line = bounded(REJECTION_REASON, description="One of CRM_QUOTE_REJECTION_REASONS")
    note: OptionalText = Field(default=None, max_length=2_000, description="Personal: sealed")
    revision: int | None = Field(default=None, ge=1, le=1_000)


@router.post(
    "/quotes/{quote_id}/rejection", response_model=CommandAccepted, responses=SUBJECT_COMMAND_ERRORS
)
async def reject_quote(
    quote_id: UUID,
    body: RejectQuoteRequest,
    metadata: Write,
    quotes: Quotes,
    settings: Configured,
) -> CommandAccepted:
    command = RejectQuote(
        quote_id=str(quote_id),
        reason=body.reason,
        reasons=settings.quote_rejection_reasons,
        note=body.note,
        revision=body.revision,
    )
    stream = stream_of(command.quote_id)
    return await accept_step(quotes, stream, command, metadata, body, CommandAccepted)
