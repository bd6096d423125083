"""The support case aggregate: commands, state, one decision per command, and evolve.

    status               to
    new                  assigned (assign), resolved, rejected, duplicate
    assigned             in progress (start work), resolved, rejected, duplicate
    in progress          waiting on customer, resolved, rejected, duplicate
    waiting on customer  in progress (start work, or the customer replies), resolved, ...
    resolved             in progress (reopen, or the customer replies), closed (by an agent,
                         or by itself after CRM_CASE_AUTO_CLOSE_DAYS)
    closed, rejected, duplicate: for good (a reply there is refused: open a new case)

An open case may change hands at any status (reassign). Replies and notes carry their own id,
so a retry records nothing; an agent's first public reply is the first response.

Service levels (ADR 48, `sla`): a case opened with terms gets its deadlines; the steps that
start or stop a clock carry the instant they happened (`at`) and record what they reached,
and any deadline they find passed is breached first, with its escalation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError, RefusedError
from crm_kernel.domain.events import DomainEvent
from crm_kernel.domain.reasons import required
from crm_support_contracts.events import (
    STATUS_AFTER,
    Assignee,
    CaseAssigned,
    CaseChannel,
    CaseClosed,
    CaseEscalated,
    CaseKind,
    CaseMarkedDuplicate,
    CaseNoteAdded,
    CaseOpened,
    CaseRejected,
    CaseReopened,
    CaseReplied,
    CaseResolved,
    CaseStatus,
    CaseSubject,
    CaseWaitingOnCustomer,
    CaseWorkStarted,
    Priority,
    ReplyAuthor,
    SlaTarget,
    SlaTerms,
    SurveyAnswered,
    SurveyRequested,
    TeamId,
)
from pydantic import BaseModel, ConfigDict

from crm_support.domain import sla
from crm_support.domain.sla import Clocks

S = CaseStatus
OPEN = frozenset({S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_ON_CUSTOMER})
FOR_GOOD = frozenset({S.CLOSED, S.REJECTED, S.DUPLICATE})
# Why a case may be turned down, unless CRM_CASE_REJECTION_REASONS says otherwise.
DEFAULT_REJECTION_REASONS = ("spam", "not our product", "no response", "out of scope", "other")


def stream_of(case_id: str) -> str:
    return f"case-{case_id}"


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str


class Timed(Command):
    """A step that may start or stop a clock: when it happened."""

    at: datetime


class OpenCase(Timed):
    customer_id: str
    kind: CaseKind
    priority: Priority
    channel: CaseChannel
    subject: CaseSubject
    description: str
    product_sku: str | None = None
    order_id: str | None = None
    order_line: int | None = None
    team_id: TeamId | None = None
    sla: SlaTerms | None = None  # the policy's terms, chosen by the application


class AssignCase(Command):
    assignee: Assignee
    team_id: TeamId | None = None


class StartWork(Timed):
    pass


class WaitOnCustomer(Timed):
    pass


class Reply(Timed):
    reply_id: str
    author: ReplyAuthor
    body: str


class AddNote(Command):
    note_id: str
    body: str


class Resolve(Timed):
    note: str | None = None
    nps: bool = False  # whether its survey asks for NPS too (CRM_SURVEY_NPS)


class Reopen(Timed):
    pass


class Close(Command):
    pass


class CloseResolved(Command):
    """The auto-close deadline of resolution `resolution` came."""

    resolution: int


class Reject(Command):
    reason: str
    reasons: tuple[str, ...]


class MarkDuplicate(Command):
    of: str


class AnswerSurvey(Command):
    """The customer's answer to survey `survey` (None: the latest)."""

    survey: int | None = None
    csat: int
    nps: int | None = None
    comment: str | None = None


class RaiseBreach(Command):
    """The deadline scheduler: `target`'s deadline `due_at` came."""

    target: SlaTarget
    due_at: datetime


CaseCommand = (
    OpenCase
    | AssignCase
    | StartWork
    | WaitOnCustomer
    | Reply
    | AddNote
    | Resolve
    | Reopen
    | Close
    | CloseResolved
    | Reject
    | MarkDuplicate
    | RaiseBreach
    | AnswerSurvey
)


@dataclass(frozen=True)
class Case:
    opened: bool = False
    customer_id: str = ""
    kind: CaseKind | None = None
    status: CaseStatus = S.NEW
    assignee: str | None = None
    resolutions: int = 0
    replies: frozenset[str] = frozenset()
    notes: frozenset[str] = frozenset()
    team_id: str | None = None
    escalated: bool = False
    surveys: Mapping[int, bool] = field(default_factory=dict)  # survey -> asks NPS
    answered: Mapping[int, SurveyAnswered] = field(default_factory=dict)
    clocks: Clocks = field(default_factory=Clocks)


decide: Decisions[Case, CaseCommand] = Decisions()


def _opened(state: Case, command: Command) -> None:
    if not state.opened:
        raise NotFoundError(f"no case {command.case_id}: open it first")


def _not_for_good(state: Case, command: Command) -> None:
    _opened(state, command)
    if state.status in FOR_GOOD:
        raise ConflictError(
            f"case {command.case_id} is {state.status.value}: open a new case instead"
        )


def _step(state: Case, command: Command) -> dict[str, str]:
    return {"case_id": command.case_id, "customer_id": state.customer_id}


def _refused(state: Case, command: Command, what: str) -> ConflictError:
    return ConflictError(f"case {command.case_id} is {state.status.value}: it cannot {what}")


@decide.on(OpenCase)
def open_case(state: Case, command: OpenCase) -> list[DomainEvent]:
    if state.opened:
        raise ConflictError(f"case {command.case_id} is open already")
    if command.order_line is not None and command.order_id is None:
        raise DomainError("an order line needs its order_id", field="order_line")
    opened = CaseOpened(**command.model_dump(exclude={"at", "sla"}))
    if command.sla is None:
        return [opened]
    step = {"case_id": command.case_id, "customer_id": command.customer_id}
    return [opened, sla.started(command.sla, command.at, step)]


def check_assignable(state: Case, case_id: str) -> None:
    """Refused unless the case is open: before a team's turn moves for it."""
    command = Command(case_id=case_id)
    _not_for_good(state, command)
    if state.status is S.RESOLVED:
        raise _refused(state, command, "change hands: reopen it first")


@decide.on(AssignCase)
def assign_case(state: Case, command: AssignCase) -> list[DomainEvent]:
    team = command.team_id or state.team_id
    if state.opened and state.assignee == command.assignee and state.team_id == team:
        return []  # assigned so already: a retry changes nothing
    check_assignable(state, command.case_id)
    return [CaseAssigned(**_step(state, command), assignee=command.assignee, team_id=team)]


@decide.on(StartWork, guard=_not_for_good)
def start_work(state: Case, command: StartWork) -> list[DomainEvent]:
    if state.status is S.IN_PROGRESS:
        return []
    if state.status not in (S.ASSIGNED, S.WAITING_ON_CUSTOMER):
        raise _refused(state, command, "be started: assign it first")
    return _timed(state, command, [CaseWorkStarted(**_step(state, command))], resume=True)


@decide.on(WaitOnCustomer, guard=_not_for_good)
def wait_on_customer(state: Case, command: WaitOnCustomer) -> list[DomainEvent]:
    if state.status is S.WAITING_ON_CUSTOMER:
        return []
    if state.status is not S.IN_PROGRESS:
        raise _refused(state, command, "wait on the customer: start working it first")
    waiting = [CaseWaitingOnCustomer(**_step(state, command))]
    return _timed(state, command, waiting, pause=True)


@decide.on(Reply, guard=_not_for_good)
def reply(state: Case, command: Reply) -> list[DomainEvent]:
    if command.reply_id in state.replies:
        return []
    replied = CaseReplied(
        **_step(state, command), reply_id=command.reply_id, author=command.author,
        body=command.body,
    )  # fmt: skip
    if command.author is ReplyAuthor.AGENT:
        return _timed(state, command, [replied], respond=True)
    if state.status is S.WAITING_ON_CUSTOMER:
        resuming = [replied, CaseWorkStarted(**_step(state, command))]
        return _timed(state, command, resuming, resume=True)
    if state.status is S.RESOLVED:
        reopened = [replied, CaseReopened(**_step(state, command), by_customer=True)]
        return _timed(state, command, reopened, resume=True)
    return [replied]


@decide.on(AddNote, guard=_opened)
def add_note(state: Case, command: AddNote) -> list[DomainEvent]:
    if command.note_id in state.notes:
        return []
    return [CaseNoteAdded(**_step(state, command), note_id=command.note_id, body=command.body)]


@decide.on(Resolve, guard=_not_for_good)
def resolve(state: Case, command: Resolve) -> list[DomainEvent]:
    if state.status is S.RESOLVED:
        return []
    resolution = state.resolutions + 1
    resolved = CaseResolved(**_step(state, command), resolution=resolution, note=command.note)
    survey = SurveyRequested(**_step(state, command), survey=resolution, nps=command.nps)
    return [*_timed(state, command, [resolved], pause=True, resolved=True), survey]


@decide.on(AnswerSurvey, guard=_opened)
def answer_survey(state: Case, command: AnswerSurvey) -> list[DomainEvent]:
    """Once per survey: the same answer again records nothing, another is refused."""
    survey = command.survey or max(state.surveys, default=None)
    if survey is None or survey not in state.surveys:
        which = "" if survey is None else f" {survey}"
        raise NotFoundError(f"case {command.case_id} has no survey{which}: resolve it first")
    if command.nps is not None and not state.surveys[survey]:
        raise DomainError("this survey asks no NPS: leave it out", field="nps")
    answer = SurveyAnswered(
        **_step(state, command), survey=survey, csat=command.csat, nps=command.nps,
        comment=command.comment,
    )  # fmt: skip
    given = state.answered.get(survey)
    if given is not None:
        if given == answer:
            return []
        raise RefusedError(f"survey {survey} of case {command.case_id} was answered already")
    return [answer]


@decide.on(Reopen, guard=_not_for_good)
def reopen(state: Case, command: Reopen) -> list[DomainEvent]:
    if state.status is not S.RESOLVED:
        raise _refused(state, command, "be reopened: only a resolved case is")
    reopened = [CaseReopened(**_step(state, command), by_customer=False)]
    return _timed(state, command, reopened, resume=True)


@decide.on(Close, guard=_opened)
def close(state: Case, command: Close) -> list[DomainEvent]:
    if state.status is S.CLOSED:
        return []
    if state.status is not S.RESOLVED:
        raise _refused(state, command, "be closed: resolve it first")
    return [CaseClosed(**_step(state, command), automatically=False)]


@decide.on(CloseResolved, guard=_opened)
def close_resolved(state: Case, command: CloseResolved) -> list[DomainEvent]:
    """Nothing if the case was reopened (or closed) since that resolution."""
    if state.status is not S.RESOLVED or state.resolutions != command.resolution:
        return []
    return [CaseClosed(**_step(state, command), automatically=True)]


@decide.on(Reject, guard=_opened)
def reject(state: Case, command: Reject) -> list[DomainEvent]:
    reason = required(command.reason, command.reasons, "a rejection")
    if state.status is S.REJECTED:
        return []
    if state.status not in OPEN:
        raise _refused(state, command, "be rejected")
    return [CaseRejected(**_step(state, command), reason=reason)]


@decide.on(MarkDuplicate, guard=_opened)
def mark_duplicate(state: Case, command: MarkDuplicate) -> list[DomainEvent]:
    if command.of == command.case_id:
        raise DomainError("a case is no duplicate of itself", field="of")
    if state.status is S.DUPLICATE:
        return []
    if state.status not in OPEN:
        raise _refused(state, command, "be marked a duplicate")
    return [CaseMarkedDuplicate(**_step(state, command), of=command.of)]


@decide.on(RaiseBreach, guard=_opened)
def raise_breach(state: Case, command: RaiseBreach) -> list[DomainEvent]:
    """Nothing when the deadline moved (a pause), was met, or breached already: each target
    of a case is breached once, whoever finds it first. A resolved case is breached by no
    deadline (its first response, if none came, stops with it; a reopen restarts it)."""
    if state.status in FOR_GOOD or state.status is S.RESOLVED:
        return []
    if sla.running(state.clocks).get(command.target) != command.due_at:
        return []
    return sla.breach(state.clocks, command.target, command.due_at, _step(state, command))


def _timed(
    state: Case,
    command: Timed,
    events: Sequence[DomainEvent],
    *,
    respond: bool = False,
    pause: bool = False,
    resolved: bool = False,
    resume: bool = False,
) -> list[DomainEvent]:
    """A step's events with what it does to the clocks: deadlines it finds passed are
    breached first, then the clock it starts or stops."""
    clocks = state.clocks
    if clocks.terms is None:
        return list(events)
    step, at = _step(state, command), command.at
    before = sla.overdue(clocks, at, step)
    for event in before:
        clocks = sla.evolved(clocks, event)
    after: list[DomainEvent] = []
    if respond:
        after = sla.responded(clocks, at, step)
    elif pause:
        after = sla.paused(clocks, at, step, resolved=resolved)
    elif resume:
        after = sla.resumed(clocks, at, step)
    return [*before, *events, *after]


def evolve(state: Case, event: DomainEvent) -> Case:
    changes: dict[str, Any] = {}
    match event:
        case CaseOpened():
            changes = {
                "opened": True,
                "customer_id": event.customer_id,
                "kind": event.kind,
                "team_id": event.team_id,
                "clocks": replace(state.clocks, priority=event.priority),
            }
        case CaseAssigned():
            status = S.ASSIGNED if state.status is S.NEW else state.status
            team = event.team_id or state.team_id
            changes = {"assignee": event.assignee, "status": status, "team_id": team}
        case CaseEscalated():
            team = event.team_id or state.team_id
            changes = {"escalated": True, "team_id": team}
        case CaseReplied():
            changes = {"replies": state.replies | {event.reply_id}}
        case CaseNoteAdded():
            changes = {"notes": state.notes | {event.note_id}}
        case CaseResolved():
            changes = {"resolutions": event.resolution}
        case SurveyRequested():
            changes = {"surveys": {**state.surveys, event.survey: event.nps}}
        case SurveyAnswered():
            changes = {"answered": {**state.answered, event.survey: event}}
    after = STATUS_AFTER.get(type(event))
    if after is not None:
        changes["status"] = after
    changes["clocks"] = sla.evolved(changes.get("clocks", state.clocks), event)
    return replace(state, **changes)


case_decider: Decider[Case, CaseCommand] = Decider(initial_state=Case, decide=decide, evolve=evolve)
