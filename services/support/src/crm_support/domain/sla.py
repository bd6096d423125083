"""Service levels (ADR 48): which policy holds a case, and its two clocks, pure.

A policy names the cases it is for (priority, kind, customer type, team; each left out
matches any) and two targets in working hours. The most specific matching policy wins (the
most criteria named; the first listed among equals).

The first-response clock runs from the opening to an agent's first public reply. The
resolution clock runs from the opening to the resolution, paused while the case waits on the
customer and while it is resolved (a reopen resumes it with what was left). Met or breached
is decided from the deadlines and the instants steps carry, never from a timer, so a replay
gives the same answer; a breach is for good.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Annotated, Any

from crm_kernel.domain.errors import DomainError
from crm_kernel.domain.events import DomainEvent
from crm_support_contracts.calendar import (
    NoWorkingTime,
    WorkingCalendar,
    add_working,
    working_between,
)
from crm_support_contracts.events import (
    POLICY,
    TEAM,
    CaseEscalated,
    CaseKind,
    CaseSlaApplied,
    CaseSlaPaused,
    CaseSlaResumed,
    CaseTargetBreached,
    CaseTargetReached,
    Priority,
    SlaTarget,
    SlaTerms,
)
from pydantic import BaseModel, ConfigDict, Field

Hours = Annotated[float, Field(gt=0, le=10_000)]
T = SlaTarget
RANK = {p: n for n, p in enumerate(Priority)}  # low < normal < high < urgent


class SlaPolicy(BaseModel):
    """One entry of CRM_SLA_POLICIES."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, POLICY]
    priority: Priority | None = None
    kind: CaseKind | None = None
    customer_type: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    team_id: Annotated[str, TEAM] | None = None
    first_response_hours: Hours | None = None
    resolution_hours: Hours | None = None
    escalate_priority: Priority | None = None
    escalate_team: Annotated[str, TEAM] | None = None

    def specificity(self) -> int:
        named = (self.priority, self.kind, self.customer_type, self.team_id)
        return sum(value is not None for value in named)

    def matches(self, case: CaseProfile) -> bool:
        wanted = (self.priority, self.kind, self.customer_type, self.team_id)
        found = (case.priority, case.kind, case.customer_type, case.team_id)
        return all(w is None or w == f for w, f in zip(wanted, found, strict=True))

    def terms(self, calendar: WorkingCalendar) -> SlaTerms:
        return SlaTerms(
            policy=self.name,
            calendar=calendar,
            first_response_s=_seconds(self.first_response_hours),
            resolution_s=_seconds(self.resolution_hours),
            escalate_priority=self.escalate_priority,
            escalate_team=self.escalate_team,
        )


def _seconds(hours: float | None) -> int | None:
    return None if hours is None else round(hours * 3600)


# Working hours per priority unless CRM_SLA_POLICIES says otherwise: an urgent case is
# answered within the hour and solved within the day; a breach of an urgent one escalates to
# no other priority (there is none), a high one's to urgent.
DEFAULT_POLICIES = (
    SlaPolicy(name="urgent", priority=Priority.URGENT, first_response_hours=1, resolution_hours=8),
    SlaPolicy(
        name="high",
        priority=Priority.HIGH,
        first_response_hours=4,
        resolution_hours=24,
        escalate_priority=Priority.URGENT,
    ),
    SlaPolicy(
        name="normal",
        priority=Priority.NORMAL,
        first_response_hours=8,
        resolution_hours=40,
        escalate_priority=Priority.HIGH,
    ),
    SlaPolicy(
        name="low",
        priority=Priority.LOW,
        first_response_hours=16,
        resolution_hours=80,
        escalate_priority=Priority.NORMAL,
    ),
)


@dataclass(frozen=True)
class CaseProfile:
    """What a policy is chosen by."""

    priority: Priority
    kind: CaseKind
    customer_type: str | None = None
    team_id: str | None = None


def policy_for(policies: Sequence[SlaPolicy], case: CaseProfile) -> SlaPolicy | None:
    matching = [policy for policy in policies if policy.matches(case)]
    return max(matching, key=SlaPolicy.specificity, default=None)  # max keeps the first


@dataclass(frozen=True)
class Clocks:
    """A case's service level as its events left it; `terms` None: none applies."""

    terms: SlaTerms | None = None
    started_at: datetime | None = None
    first_response_due: datetime | None = None
    responded: bool = False
    resolution_since: datetime | None = None  # running since; None: paused or not started
    resolution_due: datetime | None = None  # while running
    resolution_used: timedelta = timedelta(0)
    breached: frozenset[SlaTarget] = frozenset()
    priority: Priority = Priority.NORMAL


def started(terms: SlaTerms, at: datetime, step: dict[str, str]) -> CaseSlaApplied:
    first = _due(terms.calendar, at, terms.first_response_s)
    resolution = _due(terms.calendar, at, terms.resolution_s)
    return CaseSlaApplied(
        **step,
        terms=terms,
        started_at=at,
        first_response_due_at=first,
        resolution_due_at=resolution,
    )


def _due(calendar: WorkingCalendar, at: datetime, seconds: int | None) -> datetime | None:
    return None if seconds is None else _add(calendar, at, timedelta(seconds=seconds))


def _add(calendar: WorkingCalendar, at: datetime, amount: timedelta) -> datetime:
    try:
        return add_working(calendar, at, amount)
    except NoWorkingTime as error:
        raise DomainError(str(error), field="calendar") from None


def running(clocks: Clocks) -> dict[SlaTarget, datetime]:
    """Each target whose clock runs now, with its deadline."""
    found: dict[SlaTarget, datetime] = {}
    if clocks.first_response_due is not None and not clocks.responded:
        found[T.FIRST_RESPONSE] = clocks.first_response_due
    if clocks.resolution_due is not None and clocks.resolution_since is not None:
        found[T.RESOLUTION] = clocks.resolution_due
    return {t: due for t, due in found.items() if t not in clocks.breached}


def overdue(clocks: Clocks, at: datetime, step: dict[str, str]) -> list[DomainEvent]:
    """The breaches (and their escalations) of deadlines passed by `at` not yet recorded."""
    events: list[DomainEvent] = []
    for target, due in running(clocks).items():
        if at > due:
            breached = breach(clocks, target, due, step)
            for event in breached:
                clocks = evolved(clocks, event)  # the first escalation raised the priority
            events += breached
    return events


def breach(
    clocks: Clocks, target: SlaTarget, due: datetime, step: dict[str, str]
) -> list[DomainEvent]:
    assert clocks.terms is not None
    terms = clocks.terms
    raised = terms.escalate_priority
    if raised is not None and RANK[raised] <= RANK[clocks.priority]:
        raised = None  # never lowers, nor repeats, a priority
    return [
        CaseTargetBreached(**step, target=target, due_at=due),
        CaseEscalated(**step, target=target, priority=raised, team_id=terms.escalate_team),
    ]


def responded(clocks: Clocks, at: datetime, step: dict[str, str]) -> list[DomainEvent]:
    """An agent's public reply: the first one reaches the first-response target, met when by
    its deadline and not breached already (a reply recorded after the breach, as having come
    before the deadline, cannot undo it: a breach is for good)."""
    if clocks.terms is None or clocks.responded or clocks.first_response_due is None:
        return []
    assert clocks.started_at is not None
    return [
        CaseTargetReached(
            **step,
            target=T.FIRST_RESPONSE,
            reached_at=at,
            due_at=clocks.first_response_due,
            taken_s=_whole(working_between(clocks.terms.calendar, clocks.started_at, at)),
            met=T.FIRST_RESPONSE not in clocks.breached and at <= clocks.first_response_due,
        )
    ]


def _used(clocks: Clocks, at: datetime) -> timedelta:
    assert clocks.terms is not None and clocks.resolution_since is not None
    running = working_between(clocks.terms.calendar, clocks.resolution_since, at)
    return clocks.resolution_used + max(running, timedelta(0))


def paused(
    clocks: Clocks, at: datetime, step: dict[str, str], *, resolved: bool
) -> list[DomainEvent]:
    """The resolution clock stops (waiting on the customer, or `resolved`)."""
    if clocks.resolution_since is None or clocks.resolution_due is None:
        return []
    used = _used(clocks, at)
    events: list[DomainEvent] = []
    if resolved:
        events.append(
            CaseTargetReached(
                **step,
                target=T.RESOLUTION,
                reached_at=at,
                due_at=clocks.resolution_due,
                taken_s=_whole(used),
                met=T.RESOLUTION not in clocks.breached and at <= clocks.resolution_due,
            )
        )
    events.append(CaseSlaPaused(**step, paused_at=at, resolution_used_s=_whole(used)))
    return events


def resumed(clocks: Clocks, at: datetime, step: dict[str, str]) -> list[DomainEvent]:
    """The resolution clock runs again with what was left of it (nothing: due at once)."""
    terms = clocks.terms
    if terms is None or terms.resolution_s is None or clocks.resolution_since is not None:
        return []
    left = max(timedelta(seconds=terms.resolution_s) - clocks.resolution_used, timedelta(0))
    due = _add(terms.calendar, at, left) if left else at
    return [CaseSlaResumed(**step, resumed_at=at, resolution_due_at=due)]


def _whole(time: timedelta) -> int:
    return int(time.total_seconds())


def evolved(clocks: Clocks, event: DomainEvent) -> Clocks:
    changes: dict[str, Any] = {}
    match event:
        case CaseSlaApplied():
            changes = {
                "terms": event.terms,
                "started_at": event.started_at,
                "first_response_due": event.first_response_due_at,
                "resolution_due": event.resolution_due_at,
                "resolution_since": event.started_at if event.resolution_due_at else None,
            }
        case CaseTargetReached(target=T.FIRST_RESPONSE):
            changes = {"responded": True}
        case CaseSlaPaused():
            used = timedelta(seconds=event.resolution_used_s)
            changes = {"resolution_since": None, "resolution_due": None, "resolution_used": used}
        case CaseSlaResumed():
            changes = {
                "resolution_since": event.resumed_at,
                "resolution_due": event.resolution_due_at,
            }
        case CaseTargetBreached():
            changes = {"breached": clocks.breached | {event.target}}
        case CaseEscalated(priority=priority) if priority is not None:
            changes = {"priority": priority}
    return replace(clocks, **changes)
