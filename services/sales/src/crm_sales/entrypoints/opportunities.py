"""HTTP API of the sales context's opportunities: translates requests into opportunity
commands, with the business's pipelines and lost reasons from the settings."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import Metadata
from crm_kernel.http import CommandAccepted, write_metadata
from crm_kernel.openapi import COMMAND_ERRORS, SUBJECT_COMMAND_ERRORS
from crm_kernel.request_body import Line, OptionalLine, OptionalText
from crm_kernel.runtime import handler_of
from crm_kernel.timeinput import IsoDate
from crm_sales_contracts.events import (
    LEAD_OWNER,
    LOST_NOTE,
    LOST_REASON,
    OPPORTUNITY_NAME,
    SKU,
    STAGE,
    TEAM,
    Currency,
    ForecastCategory,
    LeadChannel,
    Money,
    Probability,
)
from fastapi import APIRouter, Depends
from pydantic import Field

from crm_sales.domain.opportunity import (
    ChangeAmount,
    ChangeExpectedClose,
    Lose,
    MoveToStage,
    OpenOpportunity,
    Opportunity,
    OpportunityCommand,
    OverrideProbability,
    Reassign,
    Reopen,
    SetForecastCategory,
    Win,
    opportunity_decider,
    stream_of,
)
from crm_sales.entrypoints.steps import Configured, StepRequest, accept_step, bounded, optional

# Every route: 409 when the deal is won or lost (reopen it first) or a concurrent write won,
# 410 when its customer was erased, 422 for invalid values (an unknown stage or reason names
# the configured ones); the routes on a deal also 404 when it was never opened.
router = APIRouter(tags=["opportunities"], responses=COMMAND_ERRORS)
Write = Annotated[Metadata, Depends(write_metadata("sales:write"))]
Opportunities = Annotated[
    CommandHandler[Opportunity, OpportunityCommand], Depends(handler_of(opportunity_decider))
]


class OpportunityFields(StepRequest):
    """What an opportunity is opened with; a lead's conversion may open one too."""

    name: Line = bounded(OPPORTUNITY_NAME, description="What the customer may buy")
    owner: OptionalLine = optional(LEAD_OWNER, description="Default: the lead's owner")
    team: OptionalLine = optional(TEAM)
    amount: Money
    currency: Currency = Field(examples=["EUR"])
    expected_close: IsoDate
    products: list[Annotated[Line, SKU]] = Field(default_factory=list, max_length=100)
    pipeline: Line = bounded(STAGE, default="default", description="One of CRM_SALES_PIPELINES")
    stage: OptionalLine = optional(STAGE, description="Default: the pipeline's first stage")
    probability: Probability | None = Field(
        default=None, description="The rep's probability, instead of the stage's"
    )
    forecast_category: ForecastCategory | None = Field(
        default=None, description="The rep's category, instead of the stage's"
    )


class OpenOpportunityRequest(OpportunityFields):
    opportunity_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    customer_id: UUID
    owner: Line = bounded(LEAD_OWNER)
    source: LeadChannel | None = None
    campaign_id: UUID | None = None


class OpportunityOpenedResponse(CommandAccepted):
    opportunity_id: UUID


async def _step(
    deals: CommandHandler[Opportunity, OpportunityCommand],
    command: OpportunityCommand,
    metadata: Metadata,
    body: StepRequest,
) -> CommandAccepted:
    stream = stream_of(command.opportunity_id)
    return await accept_step(deals, stream, command, metadata, body, CommandAccepted)


@router.post("/opportunities", status_code=201, response_model=OpportunityOpenedResponse)
async def open_opportunity(
    body: OpenOpportunityRequest, metadata: Write, deals: Opportunities, settings: Configured
) -> OpportunityOpenedResponse:
    facts = body.model_dump(mode="json", exclude={"occurred_at"})
    command = OpenOpportunity(**facts, pipelines=settings.sales_pipelines)
    return await accept_step(
        deals,
        stream_of(command.opportunity_id),
        command,
        metadata,
        body,
        OpportunityOpenedResponse,
        opportunity_id=body.opportunity_id,
    )


class StageRequest(StepRequest):
    stage: Line = bounded(STAGE, description="An open stage of the deal's pipeline")


@router.put(
    "/opportunities/{opportunity_id}/stage",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def move_opportunity(
    opportunity_id: UUID,
    body: StageRequest,
    metadata: Write,
    deals: Opportunities,
    settings: Configured,
) -> CommandAccepted:
    command = MoveToStage(
        opportunity_id=str(opportunity_id), stage=body.stage, pipelines=settings.sales_pipelines
    )
    return await _step(deals, command, metadata, body)


class AmountRequest(StepRequest):
    amount: Money
    currency: Currency


@router.put(
    "/opportunities/{opportunity_id}/amount",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def change_amount(
    opportunity_id: UUID, body: AmountRequest, metadata: Write, deals: Opportunities
) -> CommandAccepted:
    command = ChangeAmount(
        opportunity_id=str(opportunity_id), amount=body.amount, currency=body.currency
    )
    return await _step(deals, command, metadata, body)


class ExpectedCloseRequest(StepRequest):
    expected_close: IsoDate


@router.put(
    "/opportunities/{opportunity_id}/expected-close",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def change_expected_close(
    opportunity_id: UUID, body: ExpectedCloseRequest, metadata: Write, deals: Opportunities
) -> CommandAccepted:
    command = ChangeExpectedClose(
        opportunity_id=str(opportunity_id), expected_close=body.expected_close
    )
    return await _step(deals, command, metadata, body)


class ProbabilityRequest(StepRequest):
    probability: Probability | None = Field(description="null: back to the stage's")


@router.put(
    "/opportunities/{opportunity_id}/probability",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def override_probability(
    opportunity_id: UUID, body: ProbabilityRequest, metadata: Write, deals: Opportunities
) -> CommandAccepted:
    command = OverrideProbability(opportunity_id=str(opportunity_id), probability=body.probability)
    return await _step(deals, command, metadata, body)


class CategoryRequest(StepRequest):
    forecast_category: ForecastCategory | None = Field(description="null: back to the stage's")


@router.put(
    "/opportunities/{opportunity_id}/forecast-category",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def set_forecast_category(
    opportunity_id: UUID, body: CategoryRequest, metadata: Write, deals: Opportunities
) -> CommandAccepted:
    command = SetForecastCategory(
        opportunity_id=str(opportunity_id), forecast_category=body.forecast_category
    )
    return await _step(deals, command, metadata, body)


class OwnerRequest(StepRequest):
    owner: Line = bounded(LEAD_OWNER)
    team: OptionalLine = optional(TEAM)


@router.put(
    "/opportunities/{opportunity_id}/owner",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def reassign_opportunity(
    opportunity_id: UUID, body: OwnerRequest, metadata: Write, deals: Opportunities
) -> CommandAccepted:
    command = Reassign(opportunity_id=str(opportunity_id), owner=body.owner, team=body.team)
    return await _step(deals, command, metadata, body)


@router.post(
    "/opportunities/{opportunity_id}/won",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def win_opportunity(
    opportunity_id: UUID, body: StepRequest, metadata: Write, deals: Opportunities
) -> CommandAccepted:
    """The customer bought: the amount is booked when it happened."""
    command = Win(opportunity_id=str(opportunity_id))
    return await _step(deals, command, metadata, body)


class LostRequest(StepRequest):
    reason: Line = bounded(
        LOST_REASON,
        description="One of CRM_OPPORTUNITY_LOST_REASONS, in any letter case",
        examples=["too expensive"],
    )
    note: OptionalText = optional(LOST_NOTE)


@router.post(
    "/opportunities/{opportunity_id}/lost",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def lose_opportunity(
    opportunity_id: UUID,
    body: LostRequest,
    metadata: Write,
    deals: Opportunities,
    settings: Configured,
) -> CommandAccepted:
    command = Lose(
        opportunity_id=str(opportunity_id),
        reason=body.reason,
        note=body.note,
        reasons=settings.opportunity_lost_reasons,
    )
    return await _step(deals, command, metadata, body)


class ReopenRequest(StepRequest):
    stage: OptionalLine = optional(STAGE, description="Default: the stage it closed at")


@router.post(
    "/opportunities/{opportunity_id}/reopening",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def reopen_opportunity(
    opportunity_id: UUID,
    body: ReopenRequest,
    metadata: Write,
    deals: Opportunities,
    settings: Configured,
) -> CommandAccepted:
    """A won or lost deal is open again."""
    command = Reopen(
        opportunity_id=str(opportunity_id), stage=body.stage, pipelines=settings.sales_pipelines
    )
    return await _step(deals, command, metadata, body)
