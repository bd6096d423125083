"""The sales team aggregate: its members, whether each takes new leads, the cap on each one's
open leads, and whose turn it is (ADR 32).

Round-robin gives a lead to the next member after the one who got the last, skipping members
who are away or at their cap; the command carries how many open leads each member holds (the
application reads them from the lead book), so the decision stays pure. When every member is
away or at the cap, it is a 409 that says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any

from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError
from crm_kernel.domain.events import DomainEvent
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

MAX_MEMBERS = 200
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
class Member:
    cap: int
    available: bool = True


@dataclass(frozen=True)
class SalesTeam:
    name: str | None = None  # None: never created
    members: Mapping[str, Member] | None = None
    order: tuple[str, ...] = ()  # members in the order they joined: the round's order
    last: str | None = None  # who got the last lead
    routed: Mapping[str, str] | None = None  # lead -> member, for retries


def _created(state: SalesTeam, command: Command) -> None:
    if state.name is None:
        raise NotFoundError(f"no team {command.team_id}: create it first")


def _member(state: SalesTeam, command: ChangeMember | RemoveMember) -> Member:
    found = (state.members or {}).get(command.member)
    if found is None:
        raise NotFoundError(f"team {command.team_id} has no member {command.member}")
    return found


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
    members = state.members or {}
    if command.member in members:
        if members[command.member].cap == command.cap:
            return []
        raise ConflictError(
            f"{command.member} is in team {command.team_id} already: change their cap instead"
        )
    if len(members) >= MAX_MEMBERS:
        raise DomainError(f"a team has at most {MAX_MEMBERS} members", field="member")
    return [TeamMemberAdded(team_id=command.team_id, member=command.member, cap=command.cap)]


@decide.on(ChangeMember, guard=_created)
def change(state: SalesTeam, command: ChangeMember) -> list[DomainEvent]:
    now = _member(state, command)
    after = Member(
        cap=now.cap if command.cap is None else command.cap,
        available=now.available if command.available is None else command.available,
    )
    if after == now:
        return []
    return [
        TeamMemberChanged(
            team_id=command.team_id, member=command.member, cap=after.cap, available=after.available
        )
    ]


@decide.on(RemoveMember, guard=_created)
def remove(state: SalesTeam, command: RemoveMember) -> list[DomainEvent]:
    _member(state, command)
    return [TeamMemberRemoved(team_id=command.team_id, member=command.member)]


def next_member(state: SalesTeam, open_leads: Mapping[str, int]) -> str | None:
    """The first member after the last one served, in joining order, who is available and
    under their cap; None when nobody is."""
    members = state.members or {}
    order = list(state.order)
    start = order.index(state.last) + 1 if state.last in order else 0
    for member in order[start:] + order[:start]:
        found = members[member]
        if found.available and open_leads.get(member, 0) < found.cap:
            return member
    return None


@decide.on(RouteLead, guard=_created)
def route(state: SalesTeam, command: RouteLead) -> list[DomainEvent]:
    if command.lead_id in (state.routed or {}):
        return []  # routed already: a retry gives it to the same member
    member = next_member(state, command.open_leads)
    if member is None:
        raise ConflictError(
            f"nobody in team {command.team_id} takes a lead now: every member is away or at "
            "their cap of open leads (raise a cap, or assign the lead by hand)"
        )
    return [TeamLeadRouted(team_id=command.team_id, lead_id=command.lead_id, member=member)]


def evolve(state: SalesTeam, event: DomainEvent) -> SalesTeam:
    members = dict(state.members or {})
    changes: dict[str, Any] = {}
    match event:
        case TeamCreated(name=name):
            return SalesTeam(name=name, members={}, routed={})
        case TeamMemberAdded(member=member, cap=cap):
            members[member] = Member(cap=cap)
            changes = {"members": members, "order": (*state.order, member)}
        case TeamMemberChanged(member=member, cap=cap, available=available):
            members[member] = Member(cap=cap, available=available)
            changes = {"members": members}
        case TeamMemberRemoved(member=member):
            members.pop(member, None)
            changes = {"members": members, "order": tuple(m for m in state.order if m != member)}
        case TeamLeadRouted(lead_id=lead, member=member):
            changes = {"last": member, "routed": {**(state.routed or {}), lead: member}}
    return replace(state, **changes)


team_decider: Decider[SalesTeam, TeamCommand] = Decider(
    initial_state=SalesTeam, decide=decide, evolve=evolve
)
