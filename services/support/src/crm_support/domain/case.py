"""The support case aggregate: commands, state and the pure decider."""

from __future__ import annotations

from dataclasses import dataclass

from crm_kernel.domain.decider import Decider
from crm_kernel.domain.errors import ConflictError
from crm_kernel.domain.events import DomainEvent
from crm_support_contracts.events import CaseKind, CaseOpened, Priority
from pydantic import BaseModel, ConfigDict


def stream_of(case_id: str) -> str:
    return f"case-{case_id}"


class OpenCase(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    customer_id: str
    kind: CaseKind
    priority: Priority
    channel: str
    subject: str
    description: str


@dataclass(frozen=True)
class Case:
    opened: bool = False


def decide(state: Case, command: OpenCase) -> list[DomainEvent]:
    if state.opened:
        raise ConflictError(f"case {command.case_id} is open already")
    return [CaseOpened(**command.model_dump())]


def evolve(state: Case, event: DomainEvent) -> Case:
    if isinstance(event, CaseOpened):
        return Case(opened=True)
    return state


case_decider: Decider[Case, OpenCase] = Decider(initial_state=Case, decide=decide, evolve=evolve)
