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
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError
from crm_kernel.domain.events import DomainEvent
from crm_kernel.domain.reasons import required
from crm_support_contracts.events import (
    Assignee,
    CaseAssigned,
    CaseChannel,
    CaseClosed,
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
)
from pydantic import BaseModel, ConfigDict

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


class OpenCase(Command):
    customer_id: str
    kind: CaseKind
    priority: Priority
    channel: CaseChannel
    subject: CaseSubject
    description: str
    product_sku: str | None = None
    order_id: str | None = None
    order_line: int | None = None


class AssignCase(Command):
    assignee: Assignee


class StartWork(Command):
    pass


class WaitOnCustomer(Command):
    pass


class Reply(Command):
    reply_id: str
    author: ReplyAuthor
    body: str


class AddNote(Command):
    note_id: str
    body: str


class Resolve(Command):
    note: str | None = None


class Reopen(Command):
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
    return [CaseOpened(**command.model_dump())]


@decide.on(AssignCase, guard=_not_for_good)
def assign_case(state: Case, command: AssignCase) -> list[DomainEvent]:
    if state.assignee == command.assignee:
        return []  # assigned so already: a retry changes nothing
    if state.status is S.RESOLVED:
        raise _refused(state, command, "change hands: reopen it first")
    return [CaseAssigned(**_step(state, command), assignee=command.assignee)]


@decide.on(StartWork, guard=_not_for_good)
def start_work(state: Case, command: StartWork) -> list[DomainEvent]:
    if state.status is S.IN_PROGRESS:
        return []
    if state.status not in (S.ASSIGNED, S.WAITING_ON_CUSTOMER):
        raise _refused(state, command, "be started: assign it first")
    return [CaseWorkStarted(**_step(state, command))]


@decide.on(WaitOnCustomer, guard=_not_for_good)
def wait_on_customer(state: Case, command: WaitOnCustomer) -> list[DomainEvent]:
    if state.status is S.WAITING_ON_CUSTOMER:
        return []
    if state.status is not S.IN_PROGRESS:
        raise _refused(state, command, "wait on the customer: start working it first")
    return [CaseWaitingOnCustomer(**_step(state, command))]


@decide.on(Reply, guard=_not_for_good)
def reply(state: Case, command: Reply) -> list[DomainEvent]:
    if command.reply_id in state.replies:
        return []
    replied = CaseReplied(
        **_step(state, command), reply_id=command.reply_id, author=command.author,
        body=command.body,
    )  # fmt: skip
    if command.author is ReplyAuthor.CUSTOMER:
        if state.status is S.WAITING_ON_CUSTOMER:
            return [replied, CaseWorkStarted(**_step(state, command))]
        if state.status is S.RESOLVED:
            return [replied, CaseReopened(**_step(state, command), by_customer=True)]
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
    return [
        CaseResolved(**_step(state, command), resolution=state.resolutions + 1, note=command.note)
    ]


@decide.on(Reopen, guard=_not_for_good)
def reopen(state: Case, command: Reopen) -> list[DomainEvent]:
    if state.status is not S.RESOLVED:
        raise _refused(state, command, "be reopened: only a resolved case is")
    return [CaseReopened(**_step(state, command), by_customer=False)]


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


STATUS_AFTER: dict[type[DomainEvent], CaseStatus] = {
    CaseWorkStarted: S.IN_PROGRESS,
    CaseWaitingOnCustomer: S.WAITING_ON_CUSTOMER,
    CaseResolved: S.RESOLVED,
    CaseReopened: S.IN_PROGRESS,
    CaseClosed: S.CLOSED,
    CaseRejected: S.REJECTED,
    CaseMarkedDuplicate: S.DUPLICATE,
}


def evolve(state: Case, event: DomainEvent) -> Case:
    match event:
        case CaseOpened():
            return replace(state, opened=True, customer_id=event.customer_id, kind=event.kind)
        case CaseAssigned():
            status = S.ASSIGNED if state.status is S.NEW else state.status
            return replace(state, assignee=event.assignee, status=status)
        case CaseReplied():
            return replace(state, replies=state.replies | {event.reply_id})
        case CaseNoteAdded():
            return replace(state, notes=state.notes | {event.note_id})
        case CaseResolved():
            return replace(state, status=S.RESOLVED, resolutions=event.resolution)
    after = STATUS_AFTER.get(type(event))
    return replace(state, status=after) if after is not None else state


case_decider: Decider[Case, CaseCommand] = Decider(initial_state=Case, decide=decide, evolve=evolve)
