"""A case's life (crm_support.domain.case, ADR 46): given events / when command / then events
or a refusal naming the status; the customer's replies end a wait and reopen a resolved case;
a resolution closes by itself when its deadline comes unless reopened; what the 360 view makes
of it; the auto-close policy on the kernel's scheduler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from crm_kernel.application import CommandHandlers
from crm_kernel.deadline_scheduler import DeadlineScheduler
from crm_kernel.domain.envelope import Metadata, wrap
from crm_kernel.domain.errors import ConflictError, DomainError
from crm_kernel.domain.events import DomainEvent
from crm_kernel.relay import Relay
from crm_projections.domain.customer_360 import empty, fold
from crm_support.application.auto_close import KIND, AutoClose
from crm_support.domain.case import (
    DEFAULT_REJECTION_REASONS,
    AssignCase,
    Close,
    CloseResolved,
    MarkDuplicate,
    OpenCase,
    Reject,
    Reopen,
    Reply,
    Resolve,
    StartWork,
    WaitOnCustomer,
    case_decider,
    stream_of,
)
from crm_support_contracts.events import (
    CaseClosed,
    CaseReopened,
    CaseReplied,
    CaseResolved,
    CaseStatus,
    CaseWorkStarted,
    ReplyAuthor,
    SurveyRequested,
)

from tests.fakes import InMemoryEventStore, InMemoryKeyStore, InMemoryPublisher
from tests.unit.sales.test_payment_reminders import Deadlines
from tests.unit.support.test_assign_case import OPENED

K = "s1"
AT = datetime(2026, 3, 2, 9, tzinfo=UTC)  # these cases have no service level: any instant


def run(*commands: Any) -> list[DomainEvent]:
    events: list[DomainEvent] = [OPENED]
    for command in commands:
        events += case_decider.decide(case_decider.fold(events), command)
    return events


def then(events: list[DomainEvent], command: Any) -> list[DomainEvent]:
    return case_decider.decide(case_decider.fold(events), command)


def status(events: list[DomainEvent]) -> CaseStatus:
    return case_decider.fold(events).status


def reply(reply_id: str, author: ReplyAuthor = ReplyAuthor.AGENT) -> Reply:
    return Reply(case_id=K, reply_id=reply_id, author=author, body="Thanks for writing", at=AT)


WORKED = (AssignCase(case_id=K, assignee="marta"), StartWork(case_id=K, at=AT))


def test_a_case_goes_from_new_through_waiting_to_resolved_and_closed() -> None:
    assert status(run()) is CaseStatus.NEW
    assert status(run(WORKED[0])) is CaseStatus.ASSIGNED
    events = run(*WORKED, reply("r1"), WaitOnCustomer(case_id=K, at=AT))
    assert status(events) is CaseStatus.WAITING_ON_CUSTOMER
    answered = then(events, reply("r2", ReplyAuthor.CUSTOMER))
    assert [type(e) for e in answered] == [CaseReplied, CaseWorkStarted]  # the wait ends
    events += answered
    events += then(events, Resolve(case_id=K, at=AT))
    assert status(events) is CaseStatus.RESOLVED
    assert then(events, Close(case_id=K)) == [
        CaseClosed(case_id=K, customer_id=OPENED.customer_id, automatically=False)
    ]


def test_steps_the_status_does_not_allow_are_refused_naming_it() -> None:
    with pytest.raises(ConflictError, match="case s1 is new: it cannot be started: assign"):
        then(run(), StartWork(case_id=K, at=AT))
    with pytest.raises(ConflictError, match="is assigned: it cannot wait on the customer"):
        then(run(WORKED[0]), WaitOnCustomer(case_id=K, at=AT))
    with pytest.raises(ConflictError, match="is in_progress: it cannot be closed: resolve"):
        then(run(*WORKED), Close(case_id=K))
    closed = run(*WORKED, Resolve(case_id=K, at=AT), Close(case_id=K))
    with pytest.raises(ConflictError, match="is closed: open a new case instead"):
        then(closed, reply("r9", ReplyAuthor.CUSTOMER))
    with pytest.raises(ConflictError, match="only a resolved case is"):
        then(run(*WORKED), Reopen(case_id=K, at=AT))


def test_a_customer_reply_reopens_a_resolved_case_and_retries_record_nothing() -> None:
    events = run(*WORKED, Resolve(case_id=K, at=AT))
    reopened = then(events, reply("r1", ReplyAuthor.CUSTOMER))
    assert [type(e) for e in reopened] == [CaseReplied, CaseReopened]
    assert isinstance(reopened[1], CaseReopened) and reopened[1].by_customer
    events += reopened
    assert then(events, reply("r1", ReplyAuthor.CUSTOMER)) == []  # the same reply again
    again, survey = then(events, Resolve(case_id=K, at=AT))
    assert isinstance(again, CaseResolved) and again.resolution == 2
    assert isinstance(survey, SurveyRequested) and survey.survey == 2  # a survey each time


def test_the_auto_close_of_an_earlier_resolution_closes_nothing() -> None:
    events = run(
        *WORKED, Resolve(case_id=K, at=AT), Reopen(case_id=K, at=AT), Resolve(case_id=K, at=AT)
    )
    assert then(events, CloseResolved(case_id=K, resolution=1)) == []
    [closed] = then(events, CloseResolved(case_id=K, resolution=2))
    assert isinstance(closed, CaseClosed) and closed.automatically


def test_rejection_names_a_listed_reason_and_a_duplicate_names_another_case() -> None:
    reasons = DEFAULT_REJECTION_REASONS
    with pytest.raises(DomainError, match="a rejection needs a reason, one of: spam"):
        then(run(), Reject(case_id=K, reason="boring", reasons=reasons))
    [rejected] = then(run(), Reject(case_id=K, reason="SPAM", reasons=reasons))
    assert rejected.reason == "spam"  # type: ignore[attr-defined]
    with pytest.raises(DomainError, match="no duplicate of itself"):
        then(run(), MarkDuplicate(case_id=K, of=K))
    assert status(run(MarkDuplicate(case_id=K, of="s0"))) is CaseStatus.DUPLICATE


def test_the_360_view_shows_each_case_status_and_counts_open_and_closed() -> None:
    events = run(*WORKED, Resolve(case_id=K, at=AT), Close(case_id=K))
    at = datetime(2026, 3, 1, tzinfo=UTC)
    stream = wrap(events, source="crm.support", stream_id=stream_of(K), expected_version=0,
                  metadata=Metadata(actor="t"), now=at)  # fmt: skip
    support = fold(empty(OPENED.customer_id), stream[:3])["support"]
    assert (support["open_cases"], support["cases"][0]["status"]) == (1, "in_progress")
    support = fold(empty(OPENED.customer_id), stream)["support"]
    assert (support["open_cases"], support["closed_cases"]) == (0, 1)
    assert support["cases"][0]["status"] == "closed"


async def test_a_resolution_sets_its_deadline_and_the_scheduler_closes_the_case() -> None:
    store = InMemoryEventStore()
    handlers = CommandHandlers(
        source="crm.support", store=store, keys=InMemoryKeyStore(),
        relay=Relay(store, InMemoryPublisher()),
    )  # fmt: skip
    cases = handlers.of(case_decider)
    deadlines = Deadlines()
    policy = AutoClose(cases, deadlines, days=7)
    resolved_at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    now = resolved_at + timedelta(days=7, seconds=1)
    scheduler = DeadlineScheduler(deadlines, {KIND: policy.close}, clock=lambda: now)
    meta = Metadata(actor="agent")
    for command in (OpenCase(**OPENED.model_dump(), at=AT), *WORKED):
        await cases.handle(stream_of(K), command, meta)
    await cases.handle(
        stream_of(K), Resolve(case_id=K, at=resolved_at), meta.happened_at(resolved_at)
    )
    await policy.learn(await store.read_stream(stream_of(K)))
    [deadline] = deadlines.kept.values()
    assert deadline.due_at == resolved_at + timedelta(days=7)
    assert await scheduler.raise_due() == 1
    last = (await store.read_stream(stream_of(K)))[-1]
    assert last.type == CaseClosed.event_type and last.occurred_at == deadline.due_at
