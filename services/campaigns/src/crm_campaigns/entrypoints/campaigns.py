"""HTTP API of campaigns (ADR 52): created in planning with a budget, an audience defined, launched
(the audience resolved and recorded), paused, resumed, completed or cancelled; actual costs as
they are incurred; the global suppression list. 404 for a campaign never created; 409 for a
step its status does not allow (the answer names it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar
from uuid import UUID, uuid4

from crm_campaigns_contracts.events import (
    NAME,
    AudienceRules,
    Channel,
    CostCategory,
    Currency,
    Money,
)
from crm_kernel.application import CommandHandler
from crm_kernel.auth import Principal
from crm_kernel.domain.envelope import Metadata
from crm_kernel.http import CommandAccepted, accept, require_scope, write_metadata
from crm_kernel.openapi import COMMAND_ERRORS, SUBJECT_COMMAND_ERRORS
from crm_kernel.request_body import Line, RequestBody, Text
from crm_kernel.runtime import handler_of
from crm_kernel.timeinput import OccurredAt
from fastapi import APIRouter, Depends, Request
from pydantic import Field

from crm_campaigns.application.launching import Launching, counts_of
from crm_campaigns.domain import suppression
from crm_campaigns.domain.campaign import (
    Campaign,
    CampaignCommand,
    Cancel,
    Complete,
    CreateCampaign,
    DefineAudience,
    Pause,
    RecordCost,
    Resume,
    campaign_decider,
    stream_of,
)
from crm_campaigns.domain.suppression import SetSuppressed, Suppression, suppression_decider

router = APIRouter(tags=["campaigns"], responses=COMMAND_ERRORS)
Write = Annotated[Metadata, Depends(write_metadata("campaigns:write"))]
Read = Annotated[Principal, Depends(require_scope("campaigns:write"))]
Campaigns = Annotated[
    CommandHandler[Campaign, CampaignCommand], Depends(handler_of(campaign_decider))
]
Suppressions = Annotated[
    CommandHandler[Suppression, SetSuppressed], Depends(handler_of(suppression_decider))
]
Ids = Annotated[tuple[UUID, ...], Field(max_length=10_000)]


class CampaignRequest(RequestBody):
    campaign_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    name: Annotated[Line, NAME]
    channel: Channel
    objective: Text | None = Field(default=None, min_length=1, max_length=2_000)
    starts_on: date | None = None
    ends_on: date | None = None
    currency: Currency = Field(examples=["EUR"])
    budget: Money
    expected_revenue: Money | None = None


class CampaignCreatedResponse(CommandAccepted):
    campaign_id: UUID


@router.post("/campaigns", status_code=201, response_model=CampaignCreatedResponse)
async def create_campaign(
    body: CampaignRequest, metadata: Write, campaigns: Campaigns
) -> CampaignCreatedResponse:
    command = CreateCampaign.model_validate(body.model_dump(mode="json"))
    return await accept(
        campaigns, stream_of(command.campaign_id), command, metadata, CampaignCreatedResponse,
        campaign_id=body.campaign_id,
    )  # fmt: skip


F = TypeVar("F", bound=Callable[..., Any])


def _route(method: str, path: str) -> Callable[[F], F]:
    add = router.put if method == "put" else router.post
    return add(
        f"/campaigns/{{campaign_id}}/{path}",
        response_model=CommandAccepted,
        responses=SUBJECT_COMMAND_ERRORS,
    )


class AudienceRequest(RequestBody):
    rules: AudienceRules = Field(default_factory=AudienceRules)
    include: Ids = Field(default=(), description="Customers in it whatever the rules say")
    exclude: Ids = Field(default=(), description="Customers never in it")


@_route("put", "audience")
async def define_audience(
    campaign_id: UUID, body: AudienceRequest, metadata: Write, campaigns: Campaigns
) -> CommandAccepted:
    """While planning: who the campaign is for (resolved when it is launched)."""
    command = DefineAudience(
        campaign_id=str(campaign_id), rules=body.rules,
        include=tuple(map(str, body.include)), exclude=tuple(map(str, body.exclude)),
    )  # fmt: skip
    return await accept(campaigns, stream_of(command.campaign_id), command, metadata,
                        CommandAccepted)  # fmt: skip


class StepRequest(RequestBody):
    pass


class AudienceCounts(RequestBody):
    members: int
    excluded: dict[str, int] = Field(description="How many were left out, by reason")


@router.get(
    "/campaigns/{campaign_id}/audience",
    response_model=AudienceCounts,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def preview_audience(campaign_id: UUID, _: Read, request: Request) -> AudienceCounts:
    """Who the audience would reach now, and who it would leave out and why (nothing is
    recorded: the launch resolves it again)."""
    launching: Launching = request.app.state.launching
    counts = counts_of(await launching.preview(str(campaign_id), datetime.now(UTC)))
    return AudienceCounts(members=counts.members, excluded=counts.excluded)


class LaunchedResponse(CommandAccepted):
    members: int
    excluded: dict[str, int] = Field(description="How many were left out, by reason")


@router.post(
    "/campaigns/{campaign_id}/launch",
    response_model=LaunchedResponse,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def launch(
    campaign_id: UUID, body: StepRequest, metadata: Write, request: Request
) -> LaunchedResponse:
    """Resolve the audience now (members, and who is left out and why), record it and go
    live; a retry of a launched campaign records nothing."""
    launching: Launching = request.app.state.launching
    at = datetime.now(UTC)
    done, counts = await launching.launch(str(campaign_id), at, metadata.happened_at(at))
    return LaunchedResponse.of(done, members=counts.members, excluded=counts.excluded)


def _step(name: str, make: Callable[[str], CampaignCommand]) -> Callable[..., Any]:
    async def step(
        campaign_id: UUID, body: StepRequest, metadata: Write, campaigns: Campaigns
    ) -> CommandAccepted:
        command = make(str(campaign_id))
        return await accept(campaigns, stream_of(str(campaign_id)), command, metadata,
                            CommandAccepted)  # fmt: skip

    step.__name__ = f"campaign_{name}"  # the operation's id
    return step


for _path, _make in (
    ("pause", lambda c: Pause(campaign_id=c)),
    ("resumption", lambda c: Resume(campaign_id=c)),
    ("completion", lambda c: Complete(campaign_id=c)),
    ("cancellation", lambda c: Cancel(campaign_id=c)),
):
    _route("post", _path)(_step(_path, _make))


class CostRequest(RequestBody):
    cost_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    amount: Money = Field(gt=0)
    currency: Currency
    category: CostCategory
    description: Text | None = Field(default=None, min_length=1, max_length=500)
    occurred_at: OccurredAt | None = Field(default=None, description="When it was incurred")


@_route("post", "costs")
async def record_cost(
    campaign_id: UUID, body: CostRequest, metadata: Write, campaigns: Campaigns
) -> CommandAccepted:
    """An actual cost, as incurred, in the campaign's currency."""
    when = body.occurred_at or datetime.now(UTC)
    command = RecordCost(
        campaign_id=str(campaign_id), cost_id=str(body.cost_id), amount=Decimal(body.amount),
        currency=body.currency, category=body.category, description=body.description,
        incurred_on=when.astimezone(UTC).date(),
    )  # fmt: skip
    return await accept(campaigns, stream_of(command.campaign_id), command,
                        metadata.happened_at(body.occurred_at), CommandAccepted)  # fmt: skip


class SuppressionRequest(RequestBody):
    suppressed: bool = Field(strict=True, description="true: in no campaign's audience")


@router.put("/suppressions/{customer_id}", response_model=CommandAccepted)
async def set_suppressed(
    customer_id: UUID, body: SuppressionRequest, metadata: Write, suppressions: Suppressions
) -> CommandAccepted:
    command = SetSuppressed(customer_id=str(customer_id), suppressed=body.suppressed)
    return await accept(suppressions, suppression.stream_of(command.customer_id), command,
                        metadata, CommandAccepted)  # fmt: skip
