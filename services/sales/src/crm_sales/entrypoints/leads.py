"""HTTP API of the sales context's leads: translates requests into lead commands."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import Metadata
from crm_kernel.http import CommandAccepted, write_metadata
from crm_kernel.openapi import COMMAND_ERRORS, SUBJECT_COMMAND_ERRORS
from crm_kernel.request_body import (
    ErasureRequest,
    Line,
    OptionalLine,
    OptionalText,
    RequestBody,
)
from crm_kernel.runtime import handler_of
from crm_kernel.timeinput import IsoDate
from crm_sales_contracts.events import (
    DISQUALIFICATION_NOTE,
    DISQUALIFICATION_REASON,
    LEAD_EMAIL,
    LEAD_NAME,
    LEAD_NOTES,
    LEAD_OWNER,
    LEAD_PHONE,
    OPPORTUNITY_NAME,
    PRODUCT_INTEREST,
    SKU,
    STAGE,
    TEAM,
    Currency,
    ForecastCategory,
    LeadChannel,
    LeadDuplicateReason,
    LeadLookalike,
    Money,
    Percent,
    Probability,
)
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from crm_sales.application.lead_capture import LeadCapture
from crm_sales.application.lead_conversion import LeadConversion, Opening
from crm_sales.application.lead_erasure import LeadErasure
from crm_sales.domain.lead import (
    AssignLead,
    CaptureLead,
    ConvertLead,
    DisqualifyLead,
    Lead,
    LeadCommand,
    OverrideLeadScore,
    QualifyLead,
    RecycleLead,
    StartWorkOnLead,
    lead_decider,
    opportunity_id_of,
    prospect_id_of,
    stream_of,
)
from crm_sales.entrypoints.steps import StepRequest, accept_step, bounded, optional

# Every route: 409 when the lead's status does not allow the move (the message names the rule)
# or a concurrent write won, 410 when its customer id was erased, 422 for invalid values; the
# routes on a lead also 404 when it was never captured.
router = APIRouter(tags=["leads"], responses=COMMAND_ERRORS)
Write = Annotated[Metadata, Depends(write_metadata("sales:write"))]
Leads = Annotated[CommandHandler[Lead, LeadCommand], Depends(handler_of(lead_decider))]


async def _reasons(request: Request) -> tuple[str, ...]:
    reasons: tuple[str, ...] = request.app.state.lead_disqualification_reasons
    return reasons


Reasons = Annotated[tuple[str, ...], Depends(_reasons)]


class LeadStepRequest(StepRequest):
    """A step of a lead's lifecycle; `{}` when it happens now."""


class LeadFields(LeadStepRequest):
    """A lead as HTTP clients and the ingest topic send it (e-mail and phone are normalised:
    lower case, E.164 with the country code)."""

    person_name: OptionalLine = optional(LEAD_NAME, description="A person, a company or both")
    company_name: OptionalLine = optional(LEAD_NAME)
    email: OptionalLine = optional(LEAD_EMAIL)
    phone: OptionalLine = optional(LEAD_PHONE)
    product_interest: OptionalText = optional(PRODUCT_INTEREST)
    estimated_value: Money | None = Field(default=None, description="With its currency")
    currency: Currency | None = Field(default=None, examples=["EUR"])
    channel: LeadChannel
    campaign_id: UUID | None = Field(default=None, description="The campaign it came from")
    owner: OptionalLine = optional(LEAD_OWNER, description="Assigned at once if given")
    notes: OptionalText = optional(LEAD_NOTES)

    def command(self, lead_id: str) -> CaptureLead:
        facts = set(LeadFields.model_fields) - {"occurred_at"}
        return CaptureLead.model_validate(
            {**self.model_dump(mode="json", include=facts), "lead_id": lead_id}
        )


class CaptureLeadRequest(LeadFields):
    lead_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")


class PossibleDuplicate(BaseModel):
    other: LeadLookalike = Field(description="An open lead, or an existing customer")
    other_id: UUID = Field(description="That lead's id, or that customer's id")
    reason: LeadDuplicateReason


class LeadCapturedResponse(CommandAccepted):
    lead_id: UUID
    customer_id: UUID = Field(
        description="The id the customer will have once the lead converts: its timeline "
        "holds the lead's events now (ADR 26)"
    )
    possible_duplicates: list[PossibleDuplicate] = Field(
        default=[], description="Reported, never refused (ADR 28)"
    )


async def _lead_capture(request: Request) -> LeadCapture:
    capture: LeadCapture = request.app.state.lead_capture
    return capture


Captures = Annotated[LeadCapture, Depends(_lead_capture)]


@router.post("/leads", status_code=201, response_model=LeadCapturedResponse)
async def capture_lead(
    body: CaptureLeadRequest, metadata: Write, captures: Captures
) -> LeadCapturedResponse:
    """Open leads and customers with the same e-mail or phone are reported, not refused."""
    command = body.command(str(body.lead_id))
    outcome = await captures.capture(command, metadata.happened_at(body.occurred_at))
    return LeadCapturedResponse.of(
        outcome.result,
        lead_id=body.lead_id,
        customer_id=prospect_id_of(command.lead_id),
        possible_duplicates=[PossibleDuplicate(**d.__dict__) for d in outcome.possible_duplicates],
    )


async def _step(
    leads: CommandHandler[Lead, LeadCommand],
    command: LeadCommand,
    metadata: Metadata,
    body: LeadStepRequest,
) -> CommandAccepted:
    return await accept_step(
        leads, stream_of(command.lead_id), command, metadata, body, CommandAccepted
    )


class AssignLeadRequest(LeadStepRequest):
    owner: Line = bounded(LEAD_OWNER, description="The salesperson who works it")


@router.put(
    "/leads/{lead_id}/owner", response_model=CommandAccepted, responses=SUBJECT_COMMAND_ERRORS
)
async def assign_lead(
    lead_id: UUID, body: AssignLeadRequest, metadata: Write, leads: Leads
) -> CommandAccepted:
    return await _step(leads, AssignLead(lead_id=str(lead_id), owner=body.owner), metadata, body)


@router.post(
    "/leads/{lead_id}/work", response_model=CommandAccepted, responses=SUBJECT_COMMAND_ERRORS
)
async def start_work_on_lead(
    lead_id: UUID, body: LeadStepRequest, metadata: Write, leads: Leads
) -> CommandAccepted:
    """An assigned lead's owner begins working it."""
    return await _step(leads, StartWorkOnLead(lead_id=str(lead_id)), metadata, body)


@router.post(
    "/leads/{lead_id}/qualification",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def qualify_lead(
    lead_id: UUID, body: LeadStepRequest, metadata: Write, leads: Leads
) -> CommandAccepted:
    """A lead being worked is found worth pursuing."""
    return await _step(leads, QualifyLead(lead_id=str(lead_id)), metadata, body)


class DisqualifyLeadRequest(LeadStepRequest):
    reason: Line = bounded(
        DISQUALIFICATION_REASON,
        description="One of CRM_LEAD_DISQUALIFICATION_REASONS, in any letter case",
        examples=["no budget"],
    )
    note: OptionalText = optional(DISQUALIFICATION_NOTE)


@router.post(
    "/leads/{lead_id}/disqualification",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def disqualify_lead(
    lead_id: UUID, body: DisqualifyLeadRequest, metadata: Write, leads: Leads, reasons: Reasons
) -> CommandAccepted:
    """The lead is discarded, for a listed reason and an optional note."""
    command = DisqualifyLead(
        lead_id=str(lead_id), reason=body.reason, note=body.note, reasons=reasons
    )
    return await _step(leads, command, metadata, body)


@router.post(
    "/leads/{lead_id}/recycling", response_model=CommandAccepted, responses=SUBJECT_COMMAND_ERRORS
)
async def recycle_lead(
    lead_id: UUID, body: LeadStepRequest, metadata: Write, leads: Leads
) -> CommandAccepted:
    """A disqualified lead with an owner is worked again."""
    return await _step(leads, RecycleLead(lead_id=str(lead_id)), metadata, body)


class ConversionOpportunityRequest(RequestBody):
    """The opportunity opened with the conversion; amount, currency and owner default to the
    lead's estimate and owner."""

    name: Line = bounded(OPPORTUNITY_NAME, description="What the customer may buy")
    expected_close: IsoDate
    amount: Money | None = None
    currency: Currency | None = None
    owner: OptionalLine = optional(LEAD_OWNER)
    team: OptionalLine = optional(TEAM)
    products: list[Annotated[Line, SKU]] = Field(default_factory=list, max_length=100)
    pipeline: Line = bounded(STAGE, default="default", description="One of CRM_SALES_PIPELINES")
    stage: OptionalLine = optional(STAGE, description="Default: the pipeline's first stage")
    probability: Probability | None = None
    forecast_category: ForecastCategory | None = None


class ConvertLeadRequest(LeadStepRequest):
    customer_id: UUID | None = Field(
        default=None,
        description="An existing customer the lead turned out to be; left out, the lead "
        "becomes a new customer, with the id its capture answered",
    )
    organisation_id: UUID | None = Field(
        default=None,
        description="An existing organisation for the lead's company; left out, a company "
        "named on the lead becomes a new organisation",
    )
    opportunity: ConversionOpportunityRequest | None = Field(
        default=None, description="Open an opportunity for the customer too"
    )


class LeadConvertedResponse(CommandAccepted):
    customer_id: UUID = Field(description="The customer the lead became or was linked to")
    opportunity_id: UUID | None = Field(default=None, description="The opportunity opened")


async def _conversion(request: Request) -> LeadConversion:
    conversion: LeadConversion = request.app.state.lead_conversion
    return conversion


Conversions = Annotated[LeadConversion, Depends(_conversion)]


@router.post(
    "/leads/{lead_id}/conversion",
    response_model=LeadConvertedResponse,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def convert_lead(
    lead_id: UUID, body: ConvertLeadRequest, metadata: Write, conversions: Conversions
) -> LeadConvertedResponse:
    """A qualified lead becomes business: contacts registers the new customer (and its
    company) from the event, once, however often it is delivered (ADR 29); the opportunity
    asked for is opened for it (ADR 30)."""
    command = ConvertLead(
        lead_id=str(lead_id),
        customer_id=None if body.customer_id is None else str(body.customer_id),
        organisation_id=None if body.organisation_id is None else str(body.organisation_id),
    )
    opening = (
        None
        if body.opportunity is None
        else Opening(
            **body.opportunity.model_dump(mode="python")
            | {"products": tuple(body.opportunity.products)}
        )
    )
    done = await conversions.convert(command, opening, metadata.happened_at(body.occurred_at))
    event_ids = done.lead.event_ids + (done.opportunity.event_ids if done.opportunity else [])
    return LeadConvertedResponse.of(
        done.lead,
        customer_id=body.customer_id or prospect_id_of(command.lead_id),
        opportunity_id=opportunity_id_of(command.lead_id) if opening else None,
    ).model_copy(update={"event_ids": event_ids})


class LeadScoreRequest(LeadStepRequest):
    score: Percent | None = Field(
        description="0-100, shown beside the computed score; null: the computed one alone"
    )


@router.put(
    "/leads/{lead_id}/score", response_model=CommandAccepted, responses=SUBJECT_COMMAND_ERRORS
)
async def override_lead_score(
    lead_id: UUID, body: LeadScoreRequest, metadata: Write, leads: Leads
) -> CommandAccepted:
    """A salesperson's own score for the lead, recorded next to the computed one."""
    return await _step(
        leads, OverrideLeadScore(lead_id=str(lead_id), score=body.score), metadata, body
    )


async def _lead_erasure(request: Request) -> LeadErasure:
    erasure: LeadErasure = request.app.state.lead_erasure
    return erasure


Erasures = Annotated[LeadErasure, Depends(_lead_erasure)]


@router.post(
    "/leads/{lead_id}/erasure", response_model=CommandAccepted, responses=SUBJECT_COMMAND_ERRORS
)
async def erase_lead(
    lead_id: UUID, body: ErasureRequest, metadata: Write, erasures: Erasures
) -> CommandAccepted:
    """Right to be forgotten for a lead that never converted: shreds the key its personal
    data is sealed under; 410 for every command on it after."""
    result = await erasures.erase(str(lead_id), body.requested_by, body.reason, metadata)
    return CommandAccepted.of(result)
