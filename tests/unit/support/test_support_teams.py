"""Support teams and a case's opening (ADR 48, ADR 49): round-robin and least-open routing
under each agent's capacity, a case opened in a team on its calendar and routed, a customer's
type choosing the policy, and the breach scheduler stopped mid-way neither missing nor
doubling a breach."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from crm_kernel.application import CommandHandlers
from crm_kernel.deadline_scheduler import DeadlineScheduler
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import ConflictError, DomainError
from crm_kernel.relay import Relay
from crm_support.application.sla_deadlines import KIND, SlaDeadlines
from crm_support.domain import case, team
from crm_support.domain.case import OpenCase, case_decider
from crm_support.domain.sla import DEFAULT_POLICIES, SlaPolicy
from crm_support.domain.team import (
    AddAgent,
    ChangeAgent,
    CreateTeam,
    RouteCase,
    team_decider,
)
from crm_support_contracts.calendar import WorkingCalendar
from crm_support_contracts.events import (
    Assignment,
    CaseKind,
    CaseSlaApplied,
    CaseTargetBreached,
    Priority,
    SlaTarget,
)

from tests.fakes import InMemoryEventStore, InMemoryKeyStore, InMemoryPublisher
from tests.unit.sales.test_payment_reminders import Deadlines
from tests.unit.support.desk import Book, KnownTypes, case_opening

DESK = "t1"
META = Metadata(actor="lead-agent")
# Madrid hours, 08:00-15:00: the team's calendar, not the company's.
HOURS = WorkingCalendar(time_zone="Europe/Madrid", opens=time(8), closes=time(15))


def roster(assignment: Assignment) -> list[object]:
    events: list[object] = []
    for command in (
        CreateTeam(team_id=DESK, name="Returns", assignment=assignment, calendar=HOURS),
        AddAgent(team_id=DESK, agent="ana", capacity=2),
        AddAgent(team_id=DESK, agent="luis", capacity=2),
        AddAgent(team_id=DESK, agent="eva", capacity=2),
    ):
        events += team_decider.decide(team_decider.fold(events), command)  # type: ignore[arg-type]
    return events


def routed_to(events: list[object], case_id: str, open_cases: dict[str, int]) -> str:
    [made] = team_decider.decide(
        team_decider.fold(events),  # type: ignore[arg-type]
        RouteCase(team_id=DESK, case_id=case_id, open_cases=open_cases),
    )
    events.append(made)
    return made.agent  # type: ignore[attr-defined, no-any-return]


def test_round_robin_serves_in_turn_skipping_the_away_and_the_full() -> None:
    events = roster(Assignment.ROUND_ROBIN)
    assert [routed_to(events, f"c{n}", {}) for n in range(4)] == ["ana", "luis", "eva", "ana"]
    events += team_decider.decide(
        team_decider.fold(events),  # type: ignore[arg-type]
        ChangeAgent(team_id=DESK, agent="luis", available=False),
    )
    assert routed_to(events, "c4", {"eva": 2}) == "ana"  # luis away, eva full
    with pytest.raises(ConflictError, match="every agent is away or at their capacity"):
        routed_to(events, "c5", {"ana": 2, "eva": 2})


def test_least_open_serves_whoever_holds_fewest_open_cases() -> None:
    events = roster(Assignment.LEAST_OPEN)
    assert routed_to(events, "c1", {"ana": 1, "luis": 0, "eva": 1}) == "luis"
    assert routed_to(events, "c2", {"ana": 1, "luis": 1, "eva": 1}) == "ana"  # joined first


def _handlers() -> tuple[CommandHandlers, InMemoryEventStore]:
    store = InMemoryEventStore()
    handlers = CommandHandlers(
        source="crm.support", store=store, keys=InMemoryKeyStore(),
        relay=Relay(store, InMemoryPublisher()),
    )  # fmt: skip
    return handlers, store


def _open(case_id: str, team_id: str | None = DESK, priority: Priority = Priority.HIGH) -> OpenCase:
    return OpenCase(
        case_id=case_id, customer_id="c1", kind=CaseKind.INCIDENT, priority=priority,
        channel="phone", subject="Down", description="It stopped", team_id=team_id,
        at=datetime(2026, 12, 1, 13, tzinfo=UTC),  # 14:00 in Madrid
    )  # fmt: skip


async def test_a_case_opened_in_a_team_counts_on_its_calendar_and_is_routed() -> None:
    handlers, store = _handlers()
    teams = handlers.of(team_decider)
    for command in (
        CreateTeam(team_id=DESK, name="Returns", assignment=Assignment.ROUND_ROBIN,
                   calendar=HOURS),
        AddAgent(team_id=DESK, agent="ana", capacity=1),
        AddAgent(team_id=DESK, agent="luis", capacity=1),
    ):  # fmt: skip
        await teams.handle(team.stream_of(DESK), command, META)
    book = Book()
    opening = case_opening(handlers, book=book)
    first = await opening.open(_open("s1"), META)
    assert first.assignee == "ana"
    book["s1"] = "ana"
    assert (await opening.open(_open("s2"), META)).assignee == "luis"
    book["s2"] = "luis"
    waiting = await opening.open(_open("s3"), META)  # both at capacity: it waits
    assert waiting.assignee is None
    assert (await handlers.of(case_decider).load(case.stream_of("s3")))[0].assignee is None
    applied = next(
        e for e in await store.read_stream("case-s1") if e.type == CaseSlaApplied.event_type
    )
    # High: 4 working hours from 14:00 Madrid, 1 h today (to 15:00), 3 h from 08:00 Wednesday.
    assert applied.data["first_response_due_at"] == "2026-12-02T10:00:00Z"  # 11:00 Madrid
    with pytest.raises(DomainError, match="no support team nowhere"):
        await opening.open(_open("s4", team_id="nowhere"), META)


async def test_the_customers_type_chooses_the_policy() -> None:
    handlers, store = _handlers()
    vip = SlaPolicy(name="business urgent", priority=Priority.HIGH, customer_type="business",
                    first_response_hours=1)  # fmt: skip
    opening = case_opening(
        handlers, types=KnownTypes(c1="business"), policies=(*DEFAULT_POLICIES, vip)
    )
    await opening.open(_open("s1", team_id=None), META)
    applied = next(
        e for e in await store.read_stream("case-s1") if e.type == CaseSlaApplied.event_type
    )
    assert applied.data["terms"]["policy"] == "business urgent"
    assert applied.data["terms"]["resolution_s"] is None  # this policy sets no resolution


async def test_the_breach_scheduler_stopped_mid_way_neither_misses_nor_doubles_a_breach() -> None:
    handlers, store = _handlers()
    deadlines = Deadlines()
    breaches = SlaDeadlines(handlers.of(case_decider), deadlines)
    await case_opening(handlers).open(_open("s1", team_id=None), META)
    await breaches.learn(await store.read_stream("case-s1"))
    first_due = deadlines.kept[f"{KIND}:s1:first_response"].due_at
    assert first_due == datetime(2026, 12, 1, 17, tzinfo=UTC)  # high: 4 h from Tuesday 13:00
    late = first_due + timedelta(minutes=1)
    deadlines.fail_done = True  # raised, then the process stops before it forgets
    stopped = DeadlineScheduler(deadlines, {KIND: breaches.breach}, clock=lambda: late)
    with pytest.raises(ConnectionError):
        await stopped.raise_due()
    deadlines.fail_done = False
    restarted = DeadlineScheduler(deadlines, {KIND: breaches.breach}, clock=lambda: late)
    assert await restarted.raise_due() == 1
    stream = await store.read_stream("case-s1")
    [breach] = [e for e in stream if e.type == CaseTargetBreached.event_type]
    assert (breach.data["target"], breach.occurred_at) == (SlaTarget.FIRST_RESPONSE, first_due)
    await breaches.learn(stream)
    assert f"{KIND}:s1:first_response" not in deadlines.kept  # reached its end: cancelled
