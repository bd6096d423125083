"""HTTP API of the customer's account: payments, credit notes and refunds (ADR 40), and the
credit limit (ADR 41). Each is
decided on the customer's account, on the day of the request's `occurred_at` (default today):
a payment received last week is recorded with last week's day, and settles what was open then.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID, uuid4

from crm_kernel.application import CommandHandler, CommandResult
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import RefusedError
from crm_kernel.http import CommandAccepted, write_metadata
from crm_kernel.openapi import SUBJECT_COMMAND_ERRORS
from crm_kernel.request_body import Line
from crm_kernel.runtime import handler_of
from crm_sales_contracts.events import ORDER_REASON, Allocation, Amount, Currency
from fastapi import APIRouter, Depends, Request
from pydantic import Field

from crm_sales.application.crediting import Crediting
from crm_sales.domain.account import (
    Account,
    AccountCommand,
    IssueCreditNote,
    ReceivePayment,
    RefundInvoice,
    SetCreditLimit,
    account_decider,
    stream_of,
)
from crm_sales.domain.order import PaymentMethod
from crm_sales.entrypoints.steps import Configured, StepRequest, bounded
from crm_sales.settings import SalesSettings

# 404 for an invoice not on the customer's account or a return not on its order; 409 for a
# reversed or paid invoice named by a payment, a credit beyond what is left of the invoice, a
# return credited already, a refund of what was never paid; 422 for amounts with more decimals
# than the currency has.
router = APIRouter(tags=["payments"], responses=SUBJECT_COMMAND_ERRORS)
Write = Annotated[Metadata, Depends(write_metadata("sales:write"))]
Accounts = Annotated[CommandHandler[Account, AccountCommand], Depends(handler_of(account_decider))]


def _day(body: StepRequest) -> date:
    return (body.occurred_at or datetime.now(UTC)).astimezone(UTC).date()


class PaymentRequest(StepRequest):
    payment_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    customer_id: UUID
    currency: Currency = Field(examples=["EUR"])
    amount: Amount = Field(gt=0)
    method: PaymentMethod = Field(description="card, paypal, cash, cheque, transfer, other")
    invoice_ids: list[UUID] = Field(
        default_factory=list,
        max_length=100,
        description="These invoices only, in this order; default: every open one, oldest due first",
    )


class PaymentResponse(CommandAccepted):
    payment_id: UUID
    allocations: list[Allocation]
    credited: Decimal = Field(description="The surplus, kept as credit for later invoices")


@router.post("/payments", status_code=201, response_model=PaymentResponse)
async def receive_payment(
    body: PaymentRequest, metadata: Write, accounts: Accounts
) -> PaymentResponse:
    command = ReceivePayment(
        customer_id=str(body.customer_id),
        payment_id=str(body.payment_id),
        currency=body.currency,
        amount=body.amount,
        method=body.method,
        received_on=_day(body),
        invoice_ids=tuple(str(i) for i in body.invoice_ids),
    )
    result = await accounts.handle(
        stream_of(command.customer_id), command, metadata.happened_at(body.occurred_at)
    )
    state: Account = result.state
    paid = state.payments[command.payment_id]
    return PaymentResponse.of(
        result,
        payment_id=body.payment_id,
        allocations=list(paid.allocations),
        credited=paid.credited,
    )


class CreditLimitRequest(StepRequest):
    currency: Currency = Field(examples=["EUR"])
    limit: Amount | None = Field(
        description="What open receivables plus unbilled orders may reach; null: no limit"
    )


@router.put(
    "/accounts/{customer_id}/credit-limit",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def set_credit_limit(
    customer_id: UUID,
    body: CreditLimitRequest,
    metadata: Write,
    accounts: Accounts,
    settings: Configured,
) -> CommandAccepted:
    """Orders that would take the customer above it are refused (409) unless placed with
    `credit_override`; orders placed before it count once invoiced. A 409 where sales keeps
    no credit limits (CRM_CREDIT_LIMITS)."""
    if not settings.credit_limits:
        raise RefusedError(
            "credit limits are off here: start sales with CRM_CREDIT_LIMITS=true to keep them"
        )
    command = SetCreditLimit(customer_id=str(customer_id), currency=body.currency, limit=body.limit)
    result = await accounts.handle(
        stream_of(command.customer_id), command, metadata.happened_at(body.occurred_at)
    )
    return CommandAccepted.of(result)


class CreditRequest(StepRequest):
    customer_id: UUID = Field(description="Whose account the invoice is on")
    invoice_id: UUID
    net: Amount | None = Field(
        default=None,
        gt=0,
        description="The net to reverse (its share of the tax follows); default: the return's",
    )
    return_id: UUID | None = Field(
        default=None, description="The order's return it is for: reversed once, at most"
    )
    reason: Line = bounded(ORDER_REASON, description="One of CRM_CREDIT_NOTE_REASONS")


class CreditNoteRequest(CreditRequest):
    credit_note_id: UUID = Field(default_factory=uuid4, description="Give one for safe retries")


class RefundRequest(CreditRequest):
    refund_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    method: PaymentMethod = Field(description="How the money goes back")


class CreditNoteResponse(CommandAccepted):
    credit_note_id: UUID
    net: Decimal
    tax: Decimal
    total: Decimal
    credited: Decimal = Field(description="What was paid of it, now the customer's credit")


class RefundResponse(CreditNoteResponse):
    refunded: Decimal = Field(description="Paid back to the customer")


async def _crediting(request: Request) -> Crediting:
    crediting: Crediting = request.app.state.crediting
    return crediting


Credits = Annotated[Crediting, Depends(_crediting)]


async def _credit(
    body: CreditRequest,
    note_id: UUID,
    command: IssueCreditNote | RefundInvoice,
    metadata: Metadata,
    accounts: CommandHandler[Account, AccountCommand],
) -> tuple[CommandResult, dict[str, Any]]:
    """Handle a credit note or a refund on the customer's account: where it landed, and the
    answer's fields (the note's amounts, what it credited and refunded)."""
    result = await accounts.handle(
        stream_of(command.customer_id), command, metadata.happened_at(body.occurred_at)
    )
    state: Account = result.state
    note = state.credit_notes[str(note_id)]
    refund = state.refunds.get(str(note_id))
    fields = {
        "credit_note_id": note_id,
        "net": note.net,
        "tax": note.tax,
        "total": note.total,
        "credited": note.credited,
    }
    return result, fields | ({"refunded": refund.amount} if refund is not None else {})


async def _facts(
    body: CreditRequest, credits: Crediting, settings: SalesSettings
) -> dict[str, Any]:
    """What a credit note and a refund share: the account, the invoice, the net (a return's
    own if not given), the reason and its list."""
    return_id = None if body.return_id is None else str(body.return_id)
    net = await credits.net_to_credit(
        str(body.customer_id), str(body.invoice_id), body.net, return_id
    )
    return {
        "customer_id": str(body.customer_id),
        "invoice_id": str(body.invoice_id),
        "net": net,
        "return_id": return_id,
        "reason": body.reason,
        "reasons": settings.credit_note_reasons,
    }


@router.post("/credit-notes", status_code=201, response_model=CreditNoteResponse)
async def issue_credit_note(
    body: CreditNoteRequest,
    metadata: Write,
    accounts: Accounts,
    credits: Credits,
    settings: Configured,
) -> CreditNoteResponse:
    facts = await _facts(body, credits, settings)
    command = IssueCreditNote(
        **facts, credit_note_id=str(body.credit_note_id), issued_on=_day(body)
    )
    result, fields = await _credit(body, body.credit_note_id, command, metadata, accounts)
    return CreditNoteResponse.of(result, **fields)


@router.post("/refunds", status_code=201, response_model=RefundResponse)
async def refund_invoice(
    body: RefundRequest,
    metadata: Write,
    accounts: Accounts,
    credits: Credits,
    settings: Configured,
) -> RefundResponse:
    facts = await _facts(body, credits, settings)
    command = RefundInvoice(
        **facts, refund_id=str(body.refund_id), method=body.method, paid_on=_day(body)
    )
    result, fields = await _credit(body, body.refund_id, command, metadata, accounts)
    return RefundResponse.of(result, **fields)
