"""The return request aggregate (ADR 51): one stream per return, `return-<id>`.

    status     to
    requested  approved (an RMA number authorises it), refused (a listed reason)
    approved   received (the quantities that came back, at most those requested)
    received   resolved (refund, exchange, or repair, under warranty or not)
    refused, resolved: for good

Support owns the request; sales learns the lines received and the refund from these events
(`ReturnReceived`, `ReturnResolved`), idempotently per line. Support does not see the order,
so what it may return (delivered, not returned yet) is sales' rule: a line sales refuses is
logged there, never lost here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError
from crm_kernel.domain.events import DomainEvent
from crm_kernel.domain.reasons import required
from crm_support_contracts.events import (
    LineQuantity,
    ReturnApproved,
    ReturnReceived,
    ReturnRefused,
    ReturnRequested,
    ReturnResolution,
    ReturnResolved,
    ReturnStatus,
)
from pydantic import BaseModel, ConfigDict

R = ReturnStatus
DEFAULT_REFUSAL_REASONS = (
    "outside the return period",
    "used or damaged by the customer",
    "not bought from us",
    "other",
)


def stream_of(return_id: str) -> str:
    return f"return-{return_id}"


def rma_of(return_id: str) -> str:
    """The RMA number a return is authorised under: named by its id, so a retry repeats it."""
    return f"RMA-{return_id.replace('-', '')[:10].upper()}"


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)

    return_id: str


class RequestReturn(Command):
    customer_id: str
    order_id: str
    case_id: str | None = None
    lines: tuple[LineQuantity, ...]
    reason: str
    reasons: tuple[str, ...]
    note: str | None = None


class ApproveReturn(Command):
    pass


class RefuseReturn(Command):
    reason: str
    reasons: tuple[str, ...]


class ReceiveReturn(Command):
    lines: tuple[LineQuantity, ...] | None = None  # None: everything requested


class ResolveReturn(Command):
    resolution: ReturnResolution
    under_warranty: bool = False


ReturnCommand = RequestReturn | ApproveReturn | RefuseReturn | ReceiveReturn | ResolveReturn


@dataclass(frozen=True)
class ReturnRequest:
    requested: ReturnRequested | None = None
    status: ReturnStatus = R.REQUESTED
    rma: str | None = None
    received: tuple[LineQuantity, ...] = ()
    facts: Mapping[type[DomainEvent], DomainEvent] = field(default_factory=dict)


def _requested(state: ReturnRequest, command: Command) -> None:
    if state.requested is None:
        raise NotFoundError(f"no return {command.return_id}: request it first")


def _refused(state: ReturnRequest, command: Command, what: str) -> ConflictError:
    return ConflictError(f"return {command.return_id} is {state.status.value}: it cannot {what}")


def _once(state: ReturnRequest, made: DomainEvent, allowed_from: ReturnStatus, what: str,
          command: Command) -> list[DomainEvent]:  # fmt: skip
    """The step's event, or nothing when it was recorded so already (a retry)."""
    known = state.facts.get(type(made))
    if known is not None:
        if known == made:
            return []
        raise ConflictError(f"return {command.return_id} was {what} already, otherwise")
    if state.status is not allowed_from:
        raise _refused(state, command, f"be {what}")
    return [made]


decide: Decisions[ReturnRequest, ReturnCommand] = Decisions()


@decide.on(RequestReturn)
def request(state: ReturnRequest, command: RequestReturn) -> list[DomainEvent]:
    lines = [line.line for line in command.lines]
    if len(set(lines)) != len(lines):
        raise DomainError("name each order line once", field="lines")
    reason = required(command.reason, command.reasons, "a return")
    made = ReturnRequested(**command.model_dump(exclude={"reason", "reasons"}), reason=reason)
    if state.requested is not None:
        if state.requested == made:
            return []
        raise ConflictError(f"return {command.return_id} was requested already, otherwise")
    return [made]


@decide.on(ApproveReturn, guard=_requested)
def approve(state: ReturnRequest, command: ApproveReturn) -> list[DomainEvent]:
    assert state.requested is not None
    made = ReturnApproved(
        return_id=command.return_id,
        customer_id=state.requested.customer_id,
        rma=rma_of(command.return_id),
    )
    return _once(state, made, R.REQUESTED, "approved", command)


@decide.on(RefuseReturn, guard=_requested)
def refuse(state: ReturnRequest, command: RefuseReturn) -> list[DomainEvent]:
    assert state.requested is not None
    reason = required(command.reason, command.reasons, "a refusal")
    made = ReturnRefused(
        return_id=command.return_id, customer_id=state.requested.customer_id, reason=reason
    )
    return _once(state, made, R.REQUESTED, "refused", command)


@decide.on(ReceiveReturn, guard=_requested)
def receive(state: ReturnRequest, command: ReceiveReturn) -> list[DomainEvent]:
    requested = state.requested
    assert requested is not None
    if state.rma is None:
        raise _refused(state, command, "be received: approve it first (its RMA number)")
    asked = {line.line: line.quantity for line in requested.lines}
    came = command.lines if command.lines is not None else requested.lines
    for line in came:
        if line.quantity > asked.get(line.line, 0):
            raise DomainError(
                f"line {line.line} was requested {asked.get(line.line, 0)} times, not "
                f"{line.quantity}: receive at most what was authorised",
                field="lines",
            )
    made = ReturnReceived(
        return_id=command.return_id, customer_id=requested.customer_id,
        order_id=requested.order_id, rma=state.rma, lines=tuple(came),
        reason=requested.reason,
    )  # fmt: skip
    return _once(state, made, R.APPROVED, "received", command)


@decide.on(ResolveReturn, guard=_requested)
def resolve(state: ReturnRequest, command: ResolveReturn) -> list[DomainEvent]:
    assert state.requested is not None
    if command.under_warranty and command.resolution is not ReturnResolution.REPAIR:
        raise DomainError("only a repair is under warranty", field="under_warranty")
    made = ReturnResolved(
        return_id=command.return_id, customer_id=state.requested.customer_id,
        order_id=state.requested.order_id, resolution=command.resolution,
        under_warranty=command.under_warranty, lines=state.received or state.requested.lines,
    )  # fmt: skip
    return _once(state, made, R.RECEIVED, "resolved", command)


STATUS_AFTER: dict[type[DomainEvent], ReturnStatus] = {
    ReturnApproved: R.APPROVED,
    ReturnRefused: R.REFUSED,
    ReturnReceived: R.RECEIVED,
    ReturnResolved: R.RESOLVED,
}


def evolve(state: ReturnRequest, event: DomainEvent) -> ReturnRequest:
    changes: dict[str, Any] = {"facts": {**state.facts, type(event): event}}
    match event:
        case ReturnRequested():
            changes["requested"] = event
        case ReturnApproved():
            changes["rma"] = event.rma
        case ReturnReceived():
            changes["received"] = event.lines
    if type(event) in STATUS_AFTER:
        changes["status"] = STATUS_AFTER[type(event)]
    return replace(state, **changes)


return_decider: Decider[ReturnRequest, ReturnCommand] = Decider(
    initial_state=ReturnRequest, decide=decide, evolve=evolve
)
