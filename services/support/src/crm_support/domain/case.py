"""The support case aggregate: commands, state, one decision per command, and evolve."""

from __future__ import annotations

from dataclasses import dataclass

from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError
from crm_kernel.domain.events import DomainEvent
from crm_support_contracts.events import CaseChannel, CaseKind, CaseOpened, CaseSubject, Priority
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


CaseCommand = OpenCase


@dataclass(frozen=True)
class Case:
    opened: bool = False


decide: Decisions[Case, CaseCommand] = Decisions()


@decide.on(OpenCase)
def open_case(state: Case, command: OpenCase) -> list[DomainEvent]:
    if state.opened:
        raise ConflictError(f"case {command.case_id} is open already")
    return [CaseOpened(**command.model_dump())]


def evolve(state: Case, event: DomainEvent) -> Case:
    if isinstance(event, CaseOpened):
        return Case(opened=True)
    return state


case_decider: Decider[Case, CaseCommand] = Decider(initial_state=Case, decide=decide, evolve=evolve)
