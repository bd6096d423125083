"""HTTP API of the support context: translates requests into commands."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid4

from crm_kernel.application import CommandHandler
from crm_kernel.auth import Principal
from crm_kernel.http import CommandAccepted, command_metadata, require_scope
from crm_kernel.openapi import COMMAND_ERRORS
from crm_kernel.request_body import Line, RequestBody, Text
from crm_kernel.runtime import handler_for
from crm_kernel.timeinput import OccurredAt
from crm_support_contracts.events import CaseKind, Priority
from fastapi import APIRouter, Depends, Request
from pydantic import Field

from crm_support.domain.case import OpenCase, stream_of

router = APIRouter(tags=["cases"], responses=COMMAND_ERRORS)
Writer = Annotated[Principal, Depends(require_scope("support:write"))]
Cases = Annotated[CommandHandler[Any, Any], Depends(handler_for("case"))]


class OpenCaseRequest(RequestBody):
    case_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    customer_id: UUID
    kind: CaseKind
    priority: Priority = Priority.NORMAL
    channel: Line = Field(default="email", min_length=1, max_length=40)
    subject: Line = Field(min_length=1, max_length=200)
    description: Text = Field(min_length=1, max_length=10_000)
    occurred_at: OccurredAt | None = Field(
        default=None, description="When the customer raised it, if before now (an import)"
    )


class CaseOpenedResponse(CommandAccepted):
    case_id: UUID


@router.post("/cases", status_code=201, response_model=CaseOpenedResponse)
async def open_case(
    body: OpenCaseRequest, request: Request, principal: Writer, cases: Cases
) -> CaseOpenedResponse:
    command = OpenCase.model_validate(body.model_dump(mode="json", exclude={"occurred_at"}))
    metadata = command_metadata(request, principal).model_copy(
        update={"occurred_at": body.occurred_at}
    )
    result = await cases.handle(stream_of(command.case_id), command, metadata)
    return CaseOpenedResponse(case_id=body.case_id, **CommandAccepted.of(result).model_dump())
