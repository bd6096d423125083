"""HTTP API of the support context: translates requests into commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID, uuid4

from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import Metadata
from crm_kernel.http import CommandAccepted, accept, write_metadata
from crm_kernel.openapi import COMMAND_ERRORS, SUBJECT_COMMAND_ERRORS
from crm_kernel.request_body import Line, RequestBody, Text
from crm_kernel.runtime import handler_of
from crm_kernel.timeinput import OccurredAt
from crm_support_contracts.events import (
    ASSIGNEE,
    REASON,
    SKU,
    SUBJECT,
    CaseChannel,
    CaseKind,
    OrderLineNumber,
    Priority,
    ReplyAuthor,
)
from fastapi import APIRouter, Depends, Request
from pydantic import Field

from crm_support.application.case_opening import CaseOpening
from crm_support.domain.case import (
    AddNote,
    AssignCase,
    Case,
    CaseCommand,
    Close,
    MarkDuplicate,
    OpenCase,
    Reject,
    Reopen,
    Reply,
    Resolve,
    StartWork,
    Timed,
    WaitOnCustomer,
    case_decider,
    stream_of,
)
from crm_support.settings import SupportSettings

router = APIRouter(tags=["cases"], responses=COMMAND_ERRORS)
Write = Annotated[Metadata, Depends(write_metadata("support:write"))]
Cases = Annotated[CommandHandler[Case, CaseCommand], Depends(handler_of(case_decider))]


async def _settings(request: Request) -> SupportSettings:
    settings: SupportSettings = request.app.state.support_settings
    return settings


Settings = Annotated[SupportSettings, Depends(_settings)]


class CaseFields(RequestBody):
    """A case as HTTP clients and the ingest topic send it."""

    customer_id: UUID
    kind: CaseKind
    priority: Priority = Priority.NORMAL
    channel: CaseChannel = CaseChannel.EMAIL
    subject: Annotated[Line, SUBJECT]
    description: Text = Field(min_length=1, max_length=10_000)
    product_sku: Annotated[Line, SKU] | None = Field(
        default=None, description="The product it is about: what product quality counts"
    )
    order_id: UUID | None = Field(default=None, description="The order concerned, if known")
    order_line: OrderLineNumber | None = Field(
        default=None, description="The order's line, from 0 (with order_id)"
    )
    team_id: UUID | None = Field(
        default=None,
        description="The support team it opens in: its calendar counts the service level, and "
        "a team that gives out its cases routes it to an agent",
    )
    occurred_at: OccurredAt | None = Field(
        default=None, description="When the customer raised it, if before now (an import)"
    )


class OpenCaseRequest(CaseFields):
    case_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")


class CaseOpenedResponse(CommandAccepted):
    case_id: UUID
    assignee: str | None = Field(description="The agent its team routed it to, if any")


async def _opening(request: Request) -> CaseOpening:
    found: CaseOpening = request.app.state.case_opening
    return found


Opening = Annotated[CaseOpening, Depends(_opening)]


@router.post("/cases", status_code=201, response_model=CaseOpenedResponse)
async def open_case(body: OpenCaseRequest, metadata: Write, opening: Opening) -> CaseOpenedResponse:
    """Open a case: held to the most specific SLA policy that matches it (none: no SLA)."""
    at = _when(body)
    facts = body.model_dump(mode="json", exclude={"occurred_at"})
    opened = await opening.open(OpenCase(**facts, at=at), metadata.happened_at(at))
    return CaseOpenedResponse.of(opened.result, case_id=body.case_id, assignee=opened.assignee)


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


# A case's life (ADR 46): 404 for a case never opened; 409 for a step its status does not
# allow (the answer names the status), or any step but a note on a case closed for good.


class StepRequest(RequestBody):
    occurred_at: OccurredAt | None = Field(
        default=None, description="When it happened, if before now (recorded after the fact)"
    )


def _when(body: StepRequest | CaseFields) -> datetime:
    """When a step happened: a clock's steps carry it into the decision (ADR 48)."""
    return body.occurred_at or datetime.now(UTC)


async def _step(
    cases: CommandHandler[Case, CaseCommand],
    command: CaseCommand,
    metadata: Metadata,
    body: StepRequest,
) -> CommandAccepted:
    at = command.at if isinstance(command, Timed) else body.occurred_at
    happened = metadata.happened_at(at)
    return await accept(cases, stream_of(command.case_id), command, happened, CommandAccepted)


F = TypeVar("F", bound=Callable[..., Any])


def _route(path: str) -> Callable[[F], F]:
    """A step's route: POST /cases/{case_id}/<path>."""
    return router.post(
        f"/cases/{{case_id}}/{path}",
        response_model=CommandAccepted,
        responses=SUBJECT_COMMAND_ERRORS,
    )


@_route("work")
async def start_work(
    case_id: UUID, body: StepRequest, metadata: Write, cases: Cases
) -> CommandAccepted:
    """Start working an assigned case, or resume one waiting on the customer."""
    return await _step(cases, StartWork(case_id=str(case_id), at=_when(body)), metadata, body)


@_route("waiting")
async def wait_on_customer(
    case_id: UUID, body: StepRequest, metadata: Write, cases: Cases
) -> CommandAccepted:
    """Wait on the customer's answer: the resolution clock pauses."""
    return await _step(cases, WaitOnCustomer(case_id=str(case_id), at=_when(body)), metadata, body)


class ReplyRequest(StepRequest):
    reply_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    author: ReplyAuthor = Field(description="agent: counts for the first response")
    body: Text = Field(min_length=1, max_length=20_000)


@_route("replies")
async def reply(
    case_id: UUID, body: ReplyRequest, metadata: Write, cases: Cases
) -> CommandAccepted:
    """A public reply. The customer's ends a wait on them, and reopens a resolved case."""
    command = Reply(
        case_id=str(case_id),
        reply_id=str(body.reply_id),
        author=body.author,
        body=body.body,
        at=_when(body),
    )
    return await _step(cases, command, metadata, body)


class NoteRequest(StepRequest):
    note_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    body: Text = Field(min_length=1, max_length=20_000)


@_route("notes")
async def add_note(
    case_id: UUID, body: NoteRequest, metadata: Write, cases: Cases
) -> CommandAccepted:
    """An internal note, never shown to the customer."""
    command = AddNote(case_id=str(case_id), note_id=str(body.note_id), body=body.body)
    return await _step(cases, command, metadata, body)


class ResolutionRequest(StepRequest):
    note: Text | None = Field(default=None, min_length=1, max_length=20_000)


@_route("resolution")
async def resolve(
    case_id: UUID,
    body: ResolutionRequest,
    metadata: Write,
    cases: Cases,
    settings: Settings,
) -> CommandAccepted:
    """Resolved: a satisfaction survey is requested (CSAT, and NPS where CRM_SURVEY_NPS); it
    closes by itself after CRM_CASE_AUTO_CLOSE_DAYS unless reopened."""
    command = Resolve(case_id=str(case_id), note=body.note, at=_when(body), nps=settings.survey_nps)
    return await _step(cases, command, metadata, body)


@_route("reopening")
async def reopen(
    case_id: UUID, body: StepRequest, metadata: Write, cases: Cases
) -> CommandAccepted:
    return await _step(cases, Reopen(case_id=str(case_id), at=_when(body)), metadata, body)


@_route("closing")
async def close(case_id: UUID, body: StepRequest, metadata: Write, cases: Cases) -> CommandAccepted:
    return await _step(cases, Close(case_id=str(case_id)), metadata, body)


class RejectionRequest(StepRequest):
    reason: Annotated[Line, REASON] = Field(description="One of CRM_CASE_REJECTION_REASONS")


@_route("rejection")
async def reject(
    case_id: UUID,
    body: RejectionRequest,
    metadata: Write,
    cases: Cases,
    settings: Settings,
) -> CommandAccepted:
    command = Reject(
        case_id=str(case_id), reason=body.reason, reasons=settings.case_rejection_reasons
    )
    return await _step(cases, command, metadata, body)


class DuplicateRequest(StepRequest):
    of: UUID = Field(description="The case that carries on")


@_route("duplicate")
async def mark_duplicate(
    case_id: UUID, body: DuplicateRequest, metadata: Write, cases: Cases
) -> CommandAccepted:
    return await _step(cases, MarkDuplicate(case_id=str(case_id), of=str(body.of)), metadata, body)
