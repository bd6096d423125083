"""HTTP API of the support teams (ADR 49): their agents, how they give out cases, their working
calendar; and routing a case to a team's next agent."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import Metadata
from crm_kernel.http import CommandAccepted, accept, write_metadata
from crm_kernel.openapi import COMMAND_ERRORS, SUBJECT_COMMAND_ERRORS
from crm_kernel.request_body import Line, RequestBody
from crm_kernel.runtime import handler_of
from crm_support_contracts.calendar import WorkingCalendar
from crm_support_contracts.events import AGENT, TEAM, Assignment, Capacity
from fastapi import APIRouter, Depends, Path, Request
from pydantic import Field

from crm_support.application.case_opening import CaseOpening
from crm_support.domain.team import (
    DEFAULT_CAPACITY,
    AddAgent,
    ChangeAgent,
    ChangeTeam,
    CreateTeam,
    RemoveAgent,
    SupportTeam,
    TeamCommand,
    stream_of,
    team_decider,
)
from crm_support.settings import SupportSettings

router = APIRouter(tags=["support teams"], responses=COMMAND_ERRORS)
Write = Annotated[Metadata, Depends(write_metadata("support:write"))]
Teams = Annotated[CommandHandler[SupportTeam, TeamCommand], Depends(handler_of(team_decider))]
AgentName = Annotated[str, Path(min_length=1, max_length=100)]


async def _step(
    teams: CommandHandler[SupportTeam, TeamCommand], command: TeamCommand, metadata: Metadata
) -> CommandAccepted:
    return await accept(teams, stream_of(command.team_id), command, metadata, CommandAccepted)


class CreateTeamRequest(RequestBody):
    team_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    name: Annotated[Line, TEAM]
    assignment: Assignment = Field(
        default=Assignment.ROUND_ROBIN, description="How the team gives out its cases"
    )
    calendar: WorkingCalendar | None = Field(
        default=None, description="Its working hours (none: CRM_WORKING_CALENDAR's)"
    )


class TeamCreatedResponse(CommandAccepted):
    team_id: UUID


@router.post("/support-teams", status_code=201, response_model=TeamCreatedResponse)
async def create_team(
    body: CreateTeamRequest, metadata: Write, teams: Teams, request: Request
) -> TeamCreatedResponse:
    settings: SupportSettings = request.app.state.support_settings
    command = CreateTeam(
        team_id=str(body.team_id),
        name=body.name,
        assignment=body.assignment,
        calendar=body.calendar or settings.working_calendar,
    )
    return await accept(
        teams, stream_of(command.team_id), command, metadata, TeamCreatedResponse,
        team_id=body.team_id,
    )  # fmt: skip


class TeamChangeRequest(RequestBody):
    assignment: Assignment | None = None
    calendar: WorkingCalendar | None = Field(
        default=None, description="From now on: cases opened before keep their deadlines"
    )


@router.patch(
    "/support-teams/{team_id}", response_model=CommandAccepted, responses=SUBJECT_COMMAND_ERRORS
)
async def change_team(
    team_id: UUID, body: TeamChangeRequest, metadata: Write, teams: Teams
) -> CommandAccepted:
    command = ChangeTeam(team_id=str(team_id), assignment=body.assignment, calendar=body.calendar)
    return await _step(teams, command, metadata)


class AgentRequest(RequestBody):
    agent: Annotated[Line, AGENT] = Field(description="An agent's handle")
    capacity: Capacity = Field(default=DEFAULT_CAPACITY, description="Open cases at most")


@router.post(
    "/support-teams/{team_id}/agents",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def add_agent(
    team_id: UUID, body: AgentRequest, metadata: Write, teams: Teams
) -> CommandAccepted:
    command = AddAgent(team_id=str(team_id), agent=body.agent, capacity=body.capacity)
    return await _step(teams, command, metadata)


class AgentChangeRequest(RequestBody):
    available: bool | None = Field(
        default=None, strict=True, description="false: away, takes no new case"
    )
    capacity: Capacity | None = None


@router.patch(
    "/support-teams/{team_id}/agents/{agent}",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def change_agent(
    team_id: UUID, agent: AgentName, body: AgentChangeRequest, metadata: Write, teams: Teams
) -> CommandAccepted:
    command = ChangeAgent(
        team_id=str(team_id), agent=agent, available=body.available, capacity=body.capacity
    )
    return await _step(teams, command, metadata)


@router.delete(
    "/support-teams/{team_id}/agents/{agent}",
    response_model=CommandAccepted,
    responses=SUBJECT_COMMAND_ERRORS,
)
async def remove_agent(
    team_id: UUID, agent: AgentName, metadata: Write, teams: Teams
) -> CommandAccepted:
    return await _step(teams, RemoveAgent(team_id=str(team_id), agent=agent), metadata)


class RoutingRequest(RequestBody):
    team_id: UUID = Field(description="The team whose next agent, by its assignment, takes it")


class CaseRoutedResponse(RequestBody):
    assignee: str | None = Field(description="None: nobody takes a case now; it waits")


@router.post(
    "/cases/{case_id}/routing",
    response_model=CaseRoutedResponse,
    responses=SUBJECT_COMMAND_ERRORS,
    tags=["cases"],
)
async def route_case(
    case_id: UUID, body: RoutingRequest, metadata: Write, request: Request
) -> CaseRoutedResponse:
    """Give the case to the team's next available agent under their capacity (round-robin or
    least open cases, as the team says); 409 for a team that assigns by hand."""
    opening: CaseOpening = request.app.state.case_opening
    return CaseRoutedResponse(
        assignee=await opening.route(str(case_id), str(body.team_id), metadata)
    )
