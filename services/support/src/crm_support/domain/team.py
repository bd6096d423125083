"""The support team aggregate (ADR 49): its agents (available or away, each with a capacity of
open cases), how it gives out cases (by hand, round-robin, least open cases) and the working
calendar its service levels count on. Agents and turns live on the kernel's roster, as in
sales' teams; the command carries each agent's open cases (the case book), so the decision
stays pure. When every agent is away or at capacity, routing is a 409 that says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError
from crm_kernel.domain.events import DomainEvent
from crm_kernel.domain.roster import Roster
from crm_kernel.text import collapse_spaces
from crm_support_contracts.calendar import WorkingCalendar
from crm_support_contracts.events import (
    Agent,
    Assignment,
    Capacity,
    SupportTeamChanged,
    SupportTeamCreated,
    TeamAgentAdded,
    TeamAgentChanged,
    TeamAgentRemoved,
    TeamCaseRouted,
)
from pydantic import BaseModel, ConfigDict

DEFAULT_CAPACITY = 20


def stream_of(team_id: str) -> str:
    return f"support-team-{team_id}"


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)

    team_id: str


class CreateTeam(Command):
    name: str
    assignment: Assignment
    calendar: WorkingCalendar


class ChangeTeam(Command):
    assignment: Assignment | None = None
    calendar: WorkingCalendar | None = None


class AddAgent(Command):
    agent: Agent
    capacity: Capacity = DEFAULT_CAPACITY


class ChangeAgent(Command):
    agent: Agent
    available: bool | None = None
    capacity: Capacity | None = None


class RemoveAgent(Command):
    agent: Agent


class RouteCase(Command):
    """Give `case_id` to an agent by the team's assignment; `open_cases`: each agent's now."""

    case_id: str
    open_cases: Mapping[str, int]


TeamCommand = CreateTeam | ChangeTeam | AddAgent | ChangeAgent | RemoveAgent | RouteCase


@dataclass(frozen=True)
class SupportTeam:
    name: str | None = None  # None: never created
    assignment: Assignment = Assignment.MANUAL
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    roster: Roster = field(default_factory=Roster)
    routed: Mapping[str, str] | None = None  # case -> agent, for retries


def _created(state: SupportTeam, command: Command) -> None:
    if state.name is None:
        raise NotFoundError(f"no support team {command.team_id}: create it first")


decide: Decisions[SupportTeam, TeamCommand] = Decisions()


@decide.on(CreateTeam)
def create(state: SupportTeam, command: CreateTeam) -> list[DomainEvent]:
    name = collapse_spaces(command.name)
    if not name:
        raise DomainError("name must not be blank", field="name")
    if state.name is not None:
        if (state.name, state.assignment, state.calendar) == (
            name,
            command.assignment,
            command.calendar,
        ):
            return []
        raise ConflictError(f"support team {command.team_id} exists already, as {state.name}")
    return [
        SupportTeamCreated(
            team_id=command.team_id,
            name=name,
            assignment=command.assignment,
            calendar=command.calendar,
        )
    ]


@decide.on(ChangeTeam, guard=_created)
def change_team(state: SupportTeam, command: ChangeTeam) -> list[DomainEvent]:
    assignment = command.assignment or state.assignment
    calendar = command.calendar or state.calendar
    if (assignment, calendar) == (state.assignment, state.calendar):
        return []
    return [SupportTeamChanged(team_id=command.team_id, assignment=assignment, calendar=calendar)]


@decide.on(AddAgent, guard=_created)
def add_agent(state: SupportTeam, command: AddAgent) -> list[DomainEvent]:
    if state.roster.adding(command.team_id, command.agent, command.capacity) is None:
        return []
    return [TeamAgentAdded(team_id=command.team_id, agent=command.agent, capacity=command.capacity)]


@decide.on(ChangeAgent, guard=_created)
def change_agent(state: SupportTeam, command: ChangeAgent) -> list[DomainEvent]:
    after = state.roster.changing(
        command.team_id, command.agent, cap=command.capacity, available=command.available
    )
    if after is None:
        return []
    return [
        TeamAgentChanged(
            team_id=command.team_id,
            agent=command.agent,
            capacity=after.cap,
            available=after.available,
        )
    ]


@decide.on(RemoveAgent, guard=_created)
def remove_agent(state: SupportTeam, command: RemoveAgent) -> list[DomainEvent]:
    state.roster.member(command.team_id, command.agent)
    return [TeamAgentRemoved(team_id=command.team_id, agent=command.agent)]


@decide.on(RouteCase, guard=_created)
def route_case(state: SupportTeam, command: RouteCase) -> list[DomainEvent]:
    if command.case_id in (state.routed or {}):
        return []  # routed already: a retry gives it to the same agent
    if state.assignment is Assignment.MANUAL:
        raise ConflictError(
            f"support team {command.team_id} assigns its cases by hand: assign the case to an "
            "agent, or change the team's assignment"
        )
    roster = state.roster
    chosen = (
        roster.least_open(command.open_cases)
        if state.assignment is Assignment.LEAST_OPEN
        else roster.next_in_turn(command.open_cases)
    )
    if chosen is None:
        raise ConflictError(
            f"nobody in support team {command.team_id} takes a case now: every agent is away "
            "or at their capacity of open cases (raise a capacity, or assign it by hand)"
        )
    return [TeamCaseRouted(team_id=command.team_id, case_id=command.case_id, agent=chosen)]


def evolve(state: SupportTeam, event: DomainEvent) -> SupportTeam:
    roster = state.roster
    changes: dict[str, Any] = {}
    match event:
        case SupportTeamCreated():
            return SupportTeam(
                name=event.name, assignment=event.assignment, calendar=event.calendar, routed={}
            )
        case SupportTeamChanged():
            changes = {"assignment": event.assignment, "calendar": event.calendar}
        case TeamAgentAdded(agent=agent, capacity=capacity):
            changes = {"roster": roster.joined(agent, capacity)}
        case TeamAgentChanged(agent=agent, capacity=capacity, available=available):
            changes = {"roster": roster.changed(agent, capacity, available)}
        case TeamAgentRemoved(agent=agent):
            changes = {"roster": roster.left(agent)}
        case TeamCaseRouted(case_id=case_id, agent=agent):
            routed = {**(state.routed or {}), case_id: agent}
            changes = {"roster": roster.served(agent), "routed": routed}
    return replace(state, **changes)


team_decider: Decider[SupportTeam, TeamCommand] = Decider(
    initial_state=SupportTeam, decide=decide, evolve=evolve
)
