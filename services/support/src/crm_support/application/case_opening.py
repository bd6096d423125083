"""Opening a case, over HTTP or off the ingest topic (ADR 48, ADR 49): the service level it is
held to is chosen here, from the configured policies, the customer's type (what support learnt
from contacts' events) and the team's working calendar, and recorded with the case; a case
opened in a team that gives out its cases is then routed to an agent.

Routing comes after the opening, in its own steps, each retry-safe: a case nobody can take now
(every agent away or at capacity) stays opened and unassigned in its team's queue."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog
from crm_kernel.application import CommandHandler, CommandResult
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import ConflictError, DomainError
from crm_support_contracts.calendar import WorkingCalendar
from crm_support_contracts.events import Assignment

from crm_support.domain import case, team
from crm_support.domain.case import AssignCase, Case, CaseCommand, OpenCase, check_assignable
from crm_support.domain.sla import CaseProfile, SlaPolicy, policy_for
from crm_support.domain.team import RouteCase, SupportTeam, TeamCommand

log = structlog.get_logger(__name__)


class CustomerTypes(Protocol):
    async def type_of(self, customer_id: str) -> str | None: ...


class CaseBook(Protocol):
    async def open_counts(self, owners: Iterable[str]) -> dict[str, int]: ...


@dataclass(frozen=True)
class Opened:
    result: CommandResult
    assignee: str | None  # routed to, when the team gives out its cases


class CaseOpening:
    def __init__(
        self,
        cases: CommandHandler[Case, CaseCommand],
        teams: CommandHandler[SupportTeam, TeamCommand],
        customer_types: CustomerTypes,
        book: CaseBook,
        policies: Sequence[SlaPolicy],
        calendar: WorkingCalendar,
    ) -> None:
        self._cases, self._teams = cases, teams
        self._customer_types, self._book = customer_types, book
        self._policies, self._calendar = tuple(policies), calendar

    async def open(self, command: OpenCase, metadata: Metadata) -> Opened:
        desk = await self._team(command.team_id)
        profile = CaseProfile(
            priority=command.priority,
            kind=command.kind,
            customer_type=await self._customer_types.type_of(command.customer_id),
            team_id=command.team_id,
        )
        policy = policy_for(self._policies, profile)
        calendar = desk.calendar if command.team_id is not None else self._calendar
        terms = None if policy is None else policy.terms(calendar)
        opened = command.model_copy(update={"sla": terms})
        result = await self._cases.handle(case.stream_of(command.case_id), opened, metadata)
        if command.team_id is None or desk.assignment is Assignment.MANUAL:
            return Opened(result, None)
        return Opened(result, await self.route(command.case_id, command.team_id, metadata))

    async def route(self, case_id: str, team_id: str, metadata: Metadata) -> str | None:
        """Give the case to the team's next agent by its assignment; None when nobody takes a
        case now (it waits in the team's queue)."""
        stream = team.stream_of(team_id)
        desk = await self._team(team_id)
        if desk.assignment is Assignment.MANUAL:
            raise ConflictError(
                f"support team {team_id} assigns its cases by hand: assign the case to an agent"
            )
        check_assignable((await self._cases.load(case.stream_of(case_id)))[0], case_id)
        open_cases = await self._book.open_counts(desk.roster.order)
        try:
            routed = await self._teams.handle(
                stream, RouteCase(team_id=team_id, case_id=case_id, open_cases=open_cases), metadata
            )
        except ConflictError as refused:
            log.info("case waits in its team's queue", case_id=case_id, why=str(refused))
            return None
        agent: str = (routed.state.routed or {})[case_id]
        assign = AssignCase(case_id=case_id, assignee=agent, team_id=team_id)
        await self._cases.handle(case.stream_of(case_id), assign, metadata)
        return agent

    async def _team(self, team_id: str | None) -> SupportTeam:
        if team_id is None:
            return SupportTeam()
        found = (await self._teams.load(team.stream_of(team_id)))[0]
        if found.name is None:
            raise DomainError(f"no support team {team_id}: create it first", field="team_id")
        return found
