"""Round-robin assignment (ADR 32): the team decides whose turn it is from each member's open
leads (the lead book), then the lead is assigned to them. A retry routes to the same member
(the team remembers) and assigns nothing twice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from crm_kernel.application import CommandHandler, CommandResult
from crm_kernel.domain.envelope import Metadata

from crm_sales.domain import lead, team
from crm_sales.domain.lead import AssignLead, Lead, LeadCommand, check_assignable
from crm_sales.domain.team import RouteLead, SalesTeam, TeamCommand


class LeadBook(Protocol):
    async def open_counts(self, owners: Iterable[str]) -> dict[str, int]: ...


@dataclass(frozen=True)
class Routed:
    member: str
    assignment: CommandResult


class RoundRobin:
    def __init__(
        self,
        teams: CommandHandler[SalesTeam, TeamCommand],
        leads: CommandHandler[Lead, LeadCommand],
        book: LeadBook,
    ) -> None:
        self._teams = teams
        self._leads = leads
        self._book = book

    async def route(self, lead_id: str, team_id: str, metadata: Metadata) -> Routed:
        stream = lead.stream_of(lead_id)
        check_assignable((await self._leads.load(stream))[0], lead_id)  # before the turn moves
        members = (await self._teams.load(team.stream_of(team_id)))[0].roster.order
        command = RouteLead(
            team_id=team_id, lead_id=lead_id, open_leads=await self._book.open_counts(members)
        )
        routed = await self._teams.handle(team.stream_of(team_id), command, metadata)
        routes = routed.state.routed or {}
        member = routes[lead_id]
        assigned = await self._leads.handle(
            stream, AssignLead(lead_id=lead_id, owner=member), metadata
        )
        return Routed(member, assigned)
