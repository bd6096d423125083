"""HTTP API of the support context: translates requests into commands."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import Metadata
from crm_kernel.http import CommandAccepted, accept, write_metadata
from crm_kernel.openapi import COMMAND_ERRORS, SUBJECT_COMMAND_ERRORS
from crm_kernel.request_body import Line, RequestBody, Text
from crm_kernel.runtime import handler_of
from crm_kernel.timeinput import OccurredAt
from crm_support_contracts.events import ASSIGNEE, CHANNEL, SUBJECT, CaseKind, Priority
from fastapi import APIRouter, Depends
from pydantic import Field

from crm_support.domain.case import (
    AssignCase,
    Case,
    CaseCommand,
    OpenCase,
    case_decider,
    stream_of,
)

router = APIRouter(tags=["cases"], responses=COMMAND_ERRORS)
Write = Annotated[Metadata, Depends(write_metadata("support:write"))]
Cases = Annotated[CommandHandler[Case, CaseCommand], Depends(handler_of(case_decider))]


class OpenCaseRequest(RequestBody):
    case_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    customer_id: UUID
    kind: CaseKind
    priority: Priority = Priority.NORMAL
    channel: Annotated[Line, CHANNEL] = "email"
    subject: Annotated[Line, SUBJECT]
    description: Text = Field(min_length=1, max_length=10_000)
    occurred_at: OccurredAt | None = Field(
        default=None, description="When the customer raised it, if before now (an import)"
    )


class CaseOpenedResponse(CommandAccepted):
    case_id: UUID


@router.post("/cases", status_code=201, response_model=CaseOpenedResponse)
async def open_case(body: OpenCaseRequest, metadata: Write, cases: Cases) -> CaseOpenedResponse:
    command = OpenCase.model_validate(body.model_dump(mode="json", exclude={"occurred_at"}))
    return await accept(
        cases,
        stream_of(command.case_id),
        command,
        metadata.happened_at(body.occurred_at),
        CaseOpenedResponse,
        case_id=body.case_id,
    )


class AssignCaseRequest(RequestBody):
    assignee: Annotated[Line, ASSIGNEE] = Field(description="The agent or team who works it")


@router.put(
    "/cases/{case_id}/assignee",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,  # 404: no such case
)
async def assign_case(
    case_id: UUID, body: AssignCaseRequest, metadata: Write, cases: Cases
) -> CommandAccepted:
    command = AssignCase(case_id=str(case_id), assignee=body.assignee)
    return await accept(cases, stream_of(command.case_id), command, metadata, CommandAccepted)
