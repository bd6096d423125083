"""What a case's opening needs, in memory: customer types, the case book, the policies."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from crm_kernel.application import CommandHandlers
from crm_support.application.case_opening import CaseOpening
from crm_support.domain.case import case_decider
from crm_support.domain.sla import DEFAULT_POLICIES, SlaPolicy
from crm_support.domain.team import team_decider
from crm_support_contracts.calendar import WorkingCalendar


class KnownTypes(dict[str, str]):
    async def type_of(self, customer_id: str) -> str | None:
        return self.get(customer_id)


class Book(dict[str, str]):
    """case -> the agent holding it open."""

    async def open_counts(self, owners: Iterable[str]) -> dict[str, int]:
        wanted = set(owners)
        return dict(Counter(agent for agent in self.values() if agent in wanted))


def case_opening(
    handlers: CommandHandlers,
    *,
    types: KnownTypes | None = None,
    book: Book | None = None,
    policies: Sequence[SlaPolicy] = DEFAULT_POLICIES,
    calendar: WorkingCalendar | None = None,
) -> CaseOpening:
    return CaseOpening(
        handlers.of(case_decider),
        handlers.of(team_decider),
        KnownTypes() if types is None else types,
        Book() if book is None else book,
        policies,
        calendar or WorkingCalendar(),
    )
