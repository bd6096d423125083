"""Service levels (crm_support.domain.sla, ADR 48), deadlines by hand on the default calendar
(Monday to Friday, 09:00-17:00 UTC): the policy chosen, first response met, the resolution
clock paused while waiting on the customer and resumed with what was left, a breach found by
the step after it or raised by the scheduler once, and its escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from crm_kernel.domain.events import DomainEvent
from crm_support.domain.case import (
    AssignCase,
    RaiseBreach,
    Reply,
    Resolve,
    StartWork,
    WaitOnCustomer,
    case_decider,
)
from crm_support.domain.case import OpenCase as Open
from crm_support.domain.sla import DEFAULT_POLICIES, CaseProfile, SlaPolicy, policy_for
from crm_support_contracts.calendar import WorkingCalendar, working_between
from crm_support_contracts.events import (
    CaseEscalated,
    CaseKind,
    CaseResolved,
    CaseSlaApplied,
    CaseSlaPaused,
    CaseSlaResumed,
    CaseTargetBreached,
    CaseTargetReached,
    Priority,
    ReplyAuthor,
    SlaTarget,
    SurveyRequested,
)
from hypothesis import given, settings
from hypothesis import strategies as st

K = "s1"
NORMAL = DEFAULT_POLICIES[2]
TERMS = NORMAL.terms(WorkingCalendar())


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


OPEN = Open(
    case_id=K, customer_id="c1", kind=CaseKind.COMPLAINT, priority=Priority.NORMAL,
    channel="email", subject="Late", description="Where is it?", at=utc(1, 15), sla=TERMS,
)  # fmt: skip


def run(*commands: Any) -> list[DomainEvent]:
    """Opened and assigned, then `commands`."""
    events: list[DomainEvent] = []
    for command in (OPEN, AssignCase(case_id=K, assignee="marta"), *commands):
        events += case_decider.decide(case_decider.fold(events), command)
    return events


def of(events: list[DomainEvent], kind: type[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def reply(at: datetime, who: ReplyAuthor = ReplyAuthor.AGENT, n: str = "r1") -> Reply:
    return Reply(case_id=K, reply_id=n, author=who, body="...", at=at)


def test_the_most_specific_matching_policy_wins_and_the_first_among_equals() -> None:
    vip = SlaPolicy(name="vip", priority=Priority.URGENT, customer_type="business",
                    first_response_hours=0.5)  # fmt: skip
    twin = SlaPolicy(name="twin", priority=Priority.URGENT, kind=CaseKind.INCIDENT)
    policies = (*DEFAULT_POLICIES, vip, twin)
    business = CaseProfile(priority=Priority.URGENT, kind=CaseKind.INCIDENT,
                           customer_type="business")  # fmt: skip
    assert policy_for(policies, business) == vip  # two criteria each: vip is listed first
    consumer = CaseProfile(priority=Priority.URGENT, kind=CaseKind.QUESTION)
    assert policy_for(policies, consumer) == DEFAULT_POLICIES[0]
    assert policy_for((vip,), consumer) is None  # no policy: no service level


def test_opening_sets_both_deadlines_in_working_hours() -> None:
    [applied] = of(run(), CaseSlaApplied)
    # Tuesday 15:00 + 8 h: 2 h on Tuesday, 6 h on Wednesday.
    assert applied.first_response_due_at == utc(2, 15)
    # + 40 h: 2 (Tue) + 8 (Wed, Thu, Fri, Mon) + 6 (Tue 8th).
    assert applied.resolution_due_at == utc(8, 15)


def test_an_agents_first_reply_meets_the_first_response_and_a_later_one_counts_nothing() -> None:
    events = run(StartWork(case_id=K, at=utc(1, 16)), reply(utc(2, 10)))
    [reached] = of(events, CaseTargetReached)
    assert (reached.target, reached.met, reached.taken_s) == (
        SlaTarget.FIRST_RESPONSE, True, 3 * 3600,
    )  # fmt: skip
    assert of(case_decider.decide(case_decider.fold(events), reply(utc(9, 10), n="r2")),
              CaseTargetReached) == []  # fmt: skip


def test_waiting_on_the_customer_pauses_the_resolution_and_their_reply_resumes_it() -> None:
    events = run(
        StartWork(case_id=K, at=utc(1, 16)),
        reply(utc(2, 10)),
        WaitOnCustomer(case_id=K, at=utc(3, 9)),  # used: 2 h Tue + 8 h Wed
    )
    [paused] = of(events, CaseSlaPaused)
    assert paused.resolution_used_s == 10 * 3600
    events += case_decider.decide(
        case_decider.fold(events), reply(utc(7, 13), ReplyAuthor.CUSTOMER, "r2")
    )
    [resumed] = of(events, CaseSlaResumed)
    # 30 h left from Monday 13:00: 4 + 8 + 8 + 8, then 2 h on Friday.
    assert resumed.resolution_due_at == utc(11, 11)
    assert of(events, CaseTargetBreached) == []


def test_a_step_after_a_deadline_records_the_breach_first_and_escalates() -> None:
    late = Resolve(case_id=K, at=utc(8, 16))  # resolution was due at 15:00, nobody answered
    events = run(late)
    kinds = [type(e) for e in events[3:]]
    assert kinds == [
        CaseTargetBreached, CaseEscalated,  # first response, due Wednesday 15:00
        CaseTargetBreached, CaseEscalated,  # resolution, due Tuesday 8th 15:00
        CaseResolved, CaseTargetReached, CaseSlaPaused, SurveyRequested,
    ]  # fmt: skip
    first, resolution = of(events, CaseEscalated)
    assert (first.priority, resolution.priority) == (Priority.HIGH, None)  # raised once
    [reached] = of(events, CaseTargetReached)
    assert (reached.met, reached.taken_s) == (False, 41 * 3600)
    assert case_decider.fold(events).escalated


def test_the_scheduler_raises_a_breach_once_and_a_moved_deadline_not_at_all() -> None:
    events = run(reply(utc(2, 10)))
    due = utc(8, 15)
    raised = RaiseBreach(case_id=K, target=SlaTarget.RESOLUTION, due_at=due)
    breached = case_decider.decide(case_decider.fold(events), raised)
    assert [type(e) for e in breached] == [CaseTargetBreached, CaseEscalated]
    assert case_decider.decide(case_decider.fold(events + breached), raised) == []  # again
    # Paused and resumed meanwhile: that deadline is stale, the new one is later.
    moved = run(StartWork(case_id=K, at=utc(1, 16)), reply(utc(2, 10)), WaitOnCustomer(case_id=K, at=utc(3, 9)),
                StartWork(case_id=K, at=utc(4, 9)))  # fmt: skip
    assert case_decider.decide(case_decider.fold(moved), raised) == []
    # A breach is for good: resolved later, the target is not met.
    late = breached + case_decider.decide(
        case_decider.fold(events + breached), Resolve(case_id=K, at=utc(9, 9))
    )
    assert [r.met for r in of(late, CaseTargetReached)] == [False]


def test_a_case_without_terms_has_no_clocks() -> None:
    bare = OPEN.model_copy(update={"sla": None})
    events = case_decider.decide(case_decider.fold([]), bare)
    events += case_decider.decide(case_decider.fold(events), reply(utc(30, 9)))
    assert [type(e).__name__ for e in events] == ["CaseOpened", "CaseReplied"]


moments = st.integers(min_value=1, max_value=20 * 24 * 60).map(
    lambda m: utc(1, 15) + timedelta(minutes=m)
)


@settings(max_examples=100, deadline=None)
@given(st.lists(moments, min_size=2, max_size=8, unique=True))
def test_pausing_and_resuming_never_shortens_the_time_left(instants: list[datetime]) -> None:
    """Waits and resumptions at random instants: each resumption is due exactly the working
    time that was left at the pause (none: at once), never earlier than before the pause."""
    target = timedelta(seconds=TERMS.resolution_s or 0)
    events = run(StartWork(case_id=K, at=utc(1, 15)))
    due = utc(8, 15)
    for n, at in enumerate(sorted(instants)):
        step = WaitOnCustomer(case_id=K, at=at) if n % 2 == 0 else StartWork(case_id=K, at=at)
        state = case_decider.fold(events)
        made = case_decider.decide(state, step)
        events += made
        for resumed in of(made, CaseSlaResumed):
            left = max(target - state.clocks.resolution_used, timedelta(0))
            assert working_between(TERMS.calendar, at, resumed.resolution_due_at) == left
            assert resumed.resolution_due_at >= due
            due = resumed.resolution_due_at


def test_a_reply_recorded_after_its_breach_as_having_come_in_time_does_not_undo_it() -> None:
    events = run(StartWork(case_id=K, at=utc(1, 16)))
    due = utc(2, 15)
    raised = RaiseBreach(case_id=K, target=SlaTarget.FIRST_RESPONSE, due_at=due)
    events += case_decider.decide(case_decider.fold(events), raised)
    late_news = case_decider.decide(case_decider.fold(events), reply(utc(2, 10)))
    [reached] = of(late_news, CaseTargetReached)
    assert (reached.reached_at < due, reached.met) == (True, False)


def test_a_case_resolved_without_a_reply_is_not_breached_by_its_first_response_deadline() -> None:
    events = run(StartWork(case_id=K, at=utc(1, 16)), Resolve(case_id=K, at=utc(1, 17)))
    raised = RaiseBreach(case_id=K, target=SlaTarget.FIRST_RESPONSE, due_at=utc(2, 15))
    assert case_decider.decide(case_decider.fold(events), raised) == []
