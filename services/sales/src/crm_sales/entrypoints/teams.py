"""HTTP API of the sales teams, and round-robin assignment of a lead to one of them (ADR 32)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import Metadata
from crm_kernel.http import CommandAccepted, write_metadata
from crm_kernel.openapi import COMMAND_ERRORS, SUBJECT_COMMAND_ERRORS
from crm_kernel.request_body import Line, RequestBody
from crm_kernel.runtime import handler_of
from crm_sales_contracts.events import LEAD_OWNER, TEAM
from fastapi import APIRouter, Depends, Path, Request
from pydantic import Field

from crm_sales.application.round_robin import RoundRobin
from crm_sales.domain.team import (
    DEFAULT_CAP,
    AddMember,
    Cap,
    ChangeMember,
    CreateTeam,
    RemoveMember,
    SalesTeam,
    TeamCommand,
    stream_of,
    team_decider,
)
from crm_sales.entrypoints.steps import StepRequest, accept_step, bounded

router = APIRouter(tags=["teams"], responses=COMMAND_ERRORS)
Write = Annotated[Metadata, Depends(write_metadata("sales:write"))]
Teams = Annotated[CommandHandler[SalesTeam, TeamCommand], Depends(handler_of(team_decider))]
MemberName = Annotated[str, Path(min_length=1, max_length=100)]


async def _step(
    teams: CommandHandler[SalesTeam, TeamCommand],
    command: TeamCommand,
    metadata: Metadata,
    body: StepRequest,
) -> CommandAccepted:
    stream = stream_of(command.team_id)
    return await accept_step(teams, stream, command, metadata, body, CommandAccepted)


class CreateTeamRequest(StepRequest):
    team_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    name: Line = bounded(TEAM)


class TeamCreatedResponse(CommandAccepted):
    team_id: UUID


@router.post("/teams", status_code=201, response_model=TeamCreatedResponse)
async def create_team(
    body: CreateTeamRequest, metadata: Write, teams: Teams
) -> TeamCreatedResponse:
    command = CreateTeam(team_id=str(body.team_id), name=body.name)
    stream = stream_of(command.team_id)
    return await accept_step(
        teams, stream, command, metadata, body, TeamCreatedResponse, team_id=body.team_id
    )


class MemberRequest(StepRequest):
    member: Line = bounded(LEAD_OWNER, description="A salesperson's handle")
    cap: Cap = Field(default=DEFAULT_CAP, description="Open leads they take at most")


@router.post(
    "/teams/{team_id}/members", response_model=CommandAccepted, responses=SUBJECT_COMMAND_ERRORS
)
async def add_member(
    team_id: UUID, body: MemberRequest, metadata: Write, teams: Teams
) -> CommandAccepted:
    command = AddMember(team_id=str(team_id), member=body.member, cap=body.cap)
    return await _step(teams, command, metadata, body)


class MemberChangeRequest(StepRequest):
    available: bool | None = Field(
        default=None, strict=True, description="false: away, takes no new lead"
    )
    cap: Cap | None = None


@router.patch(
    "/teams/{team_id}/members/{member}",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def change_member(
    team_id: UUID, member: MemberName, body: MemberChangeRequest, metadata: Write, teams: Teams
) -> CommandAccepted:
    command = ChangeMember(
        team_id=str(team_id), member=member, available=body.available, cap=body.cap
    )
    return await _step(teams, command, metadata, body)


@router.delete(
    "/teams/{team_id}/members/{member}",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def remove_member(
    team_id: UUID, member: MemberName, metadata: Write, teams: Teams
) -> CommandAccepted:
    command = RemoveMember(team_id=str(team_id), member=member)
    return await _step(teams, command, metadata, StepRequest())


async def _round_robin(request: Request) -> RoundRobin:
    found: RoundRobin = request.app.state.round_robin
    return found


Routing = Annotated[RoundRobin, Depends(_round_robin)]


class RoutingRequest(RequestBody):
    team_id: UUID = Field(description="The team whose next available member under their cap")


class LeadRoutedResponse(CommandAccepted):
    owner: str


@router.post(
    "/leads/{lead_id}/routing",
    response_model=LeadRoutedResponse,
    responses=SUBJECT_COMMAND_ERRORS,
    tags=["leads"],
)
async def route_lead(
    lead_id: UUID, body: RoutingRequest, metadata: Write, routing: Routing
) -> LeadRoutedResponse:
    """Assign the lead round-robin: 409 when every member is away or at their cap."""
    routed = await routing.route(str(lead_id), str(body.team_id), metadata)
    return LeadRoutedResponse.of(routed.assignment, owner=routed.member)
