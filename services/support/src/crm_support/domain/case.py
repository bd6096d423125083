"""The support case aggregate: commands, state, one decision per command, and evolve."""

from __future__ import annotations

from dataclasses import dataclass, replace

from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError, NotFoundError
from crm_kernel.domain.events import DomainEvent
from crm_support_contracts.events import (
    Assignee,
    CaseAssigned,
    CaseChannel,
    CaseKind,
    CaseOpened,
    CaseSubject,
    Priority,
)
from pydantic import BaseModel, ConfigDict


def stream_of(case_id: str) -> str:
    return f"case-{case_id}"


class OpenCase(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    customer_id: str
    kind: CaseKind
    priority: Priority
    channel: CaseChannel
    subject: CaseSubject
    description: str


class AssignCase(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    assignee: Assignee


CaseCommand = OpenCase | AssignCase


@dataclass(frozen=True)
class Case:
    opened: bool = False
    customer_id: str = ""
    assignee: str | None = None


decide: Decisions[Case, CaseCommand] = Decisions()


@decide.on(OpenCase)
def open_case(state: Case, command: OpenCase) -> list[DomainEvent]:
    if state.opened:
        raise ConflictError(f"case {command.case_id} is open already")
    return [CaseOpened(**command.model_dump())]


@decide.on(AssignCase)
def assign_case(state: Case, command: AssignCase) -> list[DomainEvent]:
    if not state.opened:
        raise NotFoundError(f"no case {command.case_id}: open it first")
    if state.assignee == command.assignee:
        return []  # assigned so already: a retry changes nothing
    return [
        CaseAssigned(
            case_id=command.case_id, customer_id=state.customer_id, assignee=command.assignee
        )
    ]


def evolve(state: Case, event: DomainEvent) -> Case:
    if isinstance(event, CaseOpened):
        return replace(state, opened=True, customer_id=event.customer_id)
    if isinstance(event, CaseAssigned):
        return replace(state, assignee=event.assignee)
    return state


case_decider: Decider[Case, CaseCommand] = Decider(initial_state=Case, decide=decide, evolve=evolve)
