"""HTTP API of return requests (ADR 51): requested for an order's lines, approved under an RMA
number or refused, received, and resolved by a refund, an exchange or a repair. 404 for a
return never requested; 409 for a step its status does not allow (the answer names it)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import Metadata
from crm_kernel.http import CommandAccepted, accept, write_metadata
from crm_kernel.openapi import COMMAND_ERRORS, SUBJECT_COMMAND_ERRORS
from crm_kernel.request_body import Line, Text
from crm_kernel.runtime import handler_of
from crm_support_contracts.events import REASON, LineQuantity, ReturnResolution
from fastapi import APIRouter, Depends
from pydantic import Field

from crm_support.domain.return_request import (
    ApproveReturn,
    ReceiveReturn,
    RefuseReturn,
    RequestReturn,
    ResolveReturn,
    ReturnCommand,
    ReturnRequest,
    return_decider,
    rma_of,
    stream_of,
)
from crm_support.entrypoints.http import Settings, StepRequest

router = APIRouter(tags=["returns"], responses=COMMAND_ERRORS)
Write = Annotated[Metadata, Depends(write_metadata("support:write"))]
Returns = Annotated[
    CommandHandler[ReturnRequest, ReturnCommand], Depends(handler_of(return_decider))
]
Lines = Annotated[tuple[LineQuantity, ...], Field(min_length=1, max_length=500)]


async def _step(
    returns: CommandHandler[ReturnRequest, ReturnCommand],
    command: ReturnCommand,
    metadata: Metadata,
    body: StepRequest,
) -> CommandAccepted:
    happened = metadata.happened_at(body.occurred_at)
    return await accept(returns, stream_of(command.return_id), command, happened, CommandAccepted)


class ReturnRequestBody(StepRequest):
    return_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    customer_id: UUID
    order_id: UUID
    case_id: UUID | None = Field(default=None, description="The case it came up in, if any")
    lines: Lines = Field(description="The order's lines (from 0) and how many of each")
    reason: Annotated[Line, REASON] = Field(description="One of CRM_RETURN_REASONS")
    note: Text | None = Field(default=None, min_length=1, max_length=5_000)


class ReturnRequestedResponse(CommandAccepted):
    return_id: UUID


@router.post("/returns", status_code=201, response_model=ReturnRequestedResponse)
async def request_return(
    body: ReturnRequestBody, metadata: Write, returns: Returns, settings: Settings
) -> ReturnRequestedResponse:
    facts = body.model_dump(mode="json", exclude={"occurred_at"})
    command = RequestReturn(**facts, reasons=settings.return_reasons)
    return await accept(
        returns, stream_of(command.return_id), command, metadata.happened_at(body.occurred_at),
        ReturnRequestedResponse, return_id=body.return_id,
    )  # fmt: skip


class ApprovedResponse(CommandAccepted):
    rma: str = Field(description="The RMA number the goods come back under")


@router.post(
    "/returns/{return_id}/approval",
    response_model=ApprovedResponse,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def approve(
    return_id: UUID, body: StepRequest, metadata: Write, returns: Returns
) -> ApprovedResponse:
    done = await _step(returns, ApproveReturn(return_id=str(return_id)), metadata, body)
    return ApprovedResponse(**done.model_dump(), rma=rma_of(str(return_id)))


class RefusalRequest(StepRequest):
    reason: Annotated[Line, REASON] = Field(description="One of CRM_RETURN_REFUSAL_REASONS")


@router.post(
    "/returns/{return_id}/refusal", response_model=CommandAccepted, responses=SUBJECT_COMMAND_ERRORS
)
async def refuse(
    return_id: UUID, body: RefusalRequest, metadata: Write, returns: Returns, settings: Settings
) -> CommandAccepted:
    command = RefuseReturn(
        return_id=str(return_id), reason=body.reason, reasons=settings.return_refusal_reasons
    )
    return await _step(returns, command, metadata, body)


class ReceiptRequest(StepRequest):
    lines: Lines | None = Field(default=None, description="What came back (none: everything)")


@router.post(
    "/returns/{return_id}/receipt", response_model=CommandAccepted, responses=SUBJECT_COMMAND_ERRORS
)
async def receive(
    return_id: UUID, body: ReceiptRequest, metadata: Write, returns: Returns
) -> CommandAccepted:
    """The goods came back: sales records the lines returned, so revenue is net of them."""
    command = ReceiveReturn(return_id=str(return_id), lines=body.lines)
    return await _step(returns, command, metadata, body)


class ReturnResolutionRequest(StepRequest):
    resolution: ReturnResolution
    under_warranty: bool = Field(default=False, strict=True, description="A repair only")


@router.post(
    "/returns/{return_id}/resolution",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def resolve(
    return_id: UUID, body: ReturnResolutionRequest, metadata: Write, returns: Returns
) -> CommandAccepted:
    """A refund: sales refunds what the lines received billed (or credits it, if unpaid)."""
    command = ResolveReturn(
        return_id=str(return_id), resolution=body.resolution, under_warranty=body.under_warranty
    )
    return await _step(returns, command, metadata, body)
