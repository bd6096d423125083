"""The sales team aggregate: its members, whether each takes new leads, the cap on each one's
open leads, and whose turn it is (ADR 32), on the kernel's roster.

Round-robin gives a lead to the next member after the one who got the last, skipping members
who are away or at their cap; the command carries how many open leads each member holds (the
application reads them from the lead book), so the decision stays pure. When every member is
away or at the cap, it is a 409 that says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Annotated

from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError
from crm_kernel.domain.events import DomainEvent
from crm_kernel.domain.roster import Roster
from crm_kernel.text import collapse_spaces
from crm_sales_contracts.events import (
    LeadOwner,
    Team,
    TeamCreated,
    TeamLeadRouted,
    TeamMemberAdded,
    TeamMemberChanged,
    TeamMemberRemoved,
)
from pydantic import BaseModel, ConfigDict, Field

Cap = Annotated[int, Field(ge=1, le=10_000, strict=True)]
DEFAULT_CAP = 50


def stream_of(team_id: str) -> str:
    return f"team-{team_id}"


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)

    team_id: str


class CreateTeam(Command):
    name: Team


class AddMember(Command):
    member: LeadOwner
    cap: Cap = DEFAULT_CAP


class ChangeMember(Command):
    member: LeadOwner
    available: bool | None = None
    cap: Cap | None = None


class RemoveMember(Command):
    member: LeadOwner


class RouteLead(Command):
    """Give `lead_id` to the next member; `open_leads`: each member's open leads now."""

    lead_id: str
    open_leads: Mapping[str, int]


TeamCommand = CreateTeam | AddMember | ChangeMember | RemoveMember | RouteLead


@dataclass(frozen=True)
class SalesTeam:
    name: str | None = None  # None: never created
    roster: Roster = field(default_factory=Roster)
    routed: Mapping[str, str] | None = None  # lead -> member, for retries


def _created(state: SalesTeam, command: Command) -> None:
    if state.name is None:
        raise NotFoundError(f"no team {command.team_id}: create it first")


decide: Decisions[SalesTeam, TeamCommand] = Decisions()


@decide.on(CreateTeam)
def create(state: SalesTeam, command: CreateTeam) -> list[DomainEvent]:
    name = collapse_spaces(command.name)
    if not name:
        raise DomainError("name must not be blank", field="name")
    if state.name is not None:
        if state.name == name:
            return []
        raise ConflictError(f"team {command.team_id} exists already, as {state.name}")
    return [TeamCreated(team_id=command.team_id, name=name)]


@decide.on(AddMember, guard=_created)
def add(state: SalesTeam, command: AddMember) -> list[DomainEvent]:
    if state.roster.adding(command.team_id, command.member, command.cap) is None:
        return []
    return [TeamMemberAdded(team_id=command.team_id, member=command.member, cap=command.cap)]


@decide.on(ChangeMember, guard=_created)
def change(state: SalesTeam, command: ChangeMember) -> list[DomainEvent]:
    after = state.roster.changing(
        command.team_id, command.member, cap=command.cap, available=command.available
    )
    if after is None:
        return []
    return [
        TeamMemberChanged(
            team_id=command.team_id, member=command.member, cap=after.cap, available=after.available
        )
    ]


@decide.on(RemoveMember, guard=_created)
def remove(state: SalesTeam, command: RemoveMember) -> list[DomainEvent]:
    state.roster.member(command.team_id, command.member)
    return [TeamMemberRemoved(team_id=command.team_id, member=command.member)]


@decide.on(RouteLead, guard=_created)
def route(state: SalesTeam, command: RouteLead) -> list[DomainEvent]:
    if command.lead_id in (state.routed or {}):
        return []  # routed already: a retry gives it to the same member
    member = state.roster.next_in_turn(command.open_leads)
    if member is None:
        raise ConflictError(
            f"nobody in team {command.team_id} takes a lead now: every member is away or at "
            "their cap of open leads (raise a cap, or assign the lead by hand)"
        )
    return [TeamLeadRouted(team_id=command.team_id, lead_id=command.lead_id, member=member)]


def evolve(state: SalesTeam, event: DomainEvent) -> SalesTeam:
    roster = state.roster
    match event:
        case TeamCreated(name=name):
            return SalesTeam(name=name, routed={})
        case TeamMemberAdded(member=member, cap=cap):
            return replace(state, roster=roster.joined(member, cap))
        case TeamMemberChanged(member=member, cap=cap, available=available):
            return replace(state, roster=roster.changed(member, cap, available))
        case TeamMemberRemoved(member=member):
            return replace(state, roster=roster.left(member))
        case TeamLeadRouted(lead_id=lead, member=member):
            routed = {**(state.routed or {}), lead: member}
            return replace(state, roster=roster.served(member), routed=routed)
    return state


team_decider: Decider[SalesTeam, TeamCommand] = Decider(
    initial_state=SalesTeam, decide=decide, evolve=evolve
)
