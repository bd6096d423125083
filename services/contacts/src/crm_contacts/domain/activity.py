"""Scheduled activities (calls, meetings, follow-ups) in an owner's calendar."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from crm_contacts_contracts.events import (
    ActivityCancelled,
    ActivityCompleted,
    ActivityKind,
    ActivityScheduled,
)
from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError, DomainError, GoneError, NotFoundError
from crm_kernel.domain.events import DomainEvent
from pydantic import BaseModel, ConfigDict

from crm_contacts.domain.interaction import CustomerFacts


def stream_of(activity_id: str) -> str:
    return f"activity-{activity_id}"


class ScheduleActivity(BaseModel):
    model_config = ConfigDict(frozen=True)

    activity_id: str
    customer_id: str
    owner: str
    kind: ActivityKind
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str | None = None
    notes: str | None = None
    customer: CustomerFacts


class CancelActivity(BaseModel):
    model_config = ConfigDict(frozen=True)

    activity_id: str
    reason: str | None = None


class CompleteActivity(BaseModel):
    model_config = ConfigDict(frozen=True)

    activity_id: str
    outcome: str | None = None


ActivityCommand = ScheduleActivity | CancelActivity | CompleteActivity


@dataclass(frozen=True)
class Activity:
    scheduled: bool = False
    customer_id: str = ""
    status: str = "none"


decide: Decisions[Activity, ActivityCommand] = Decisions()


@decide.on(ScheduleActivity)
def schedule(state: Activity, command: ScheduleActivity) -> list[DomainEvent]:
    if state.scheduled:
        raise ConflictError(f"activity {command.activity_id} is scheduled already")
    if not command.customer.registered:
        raise NotFoundError(f"unknown customer {command.customer_id}", field="customer_id")
    if command.customer.erased:
        raise GoneError(f"customer {command.customer_id} was erased")
    if command.ends_at <= command.starts_at:
        raise DomainError("ends_at must be after starts_at", field="ends_at")
    return [ActivityScheduled(**command.model_dump(exclude={"customer"}))]


def still_scheduled(state: Activity, command: CancelActivity | CompleteActivity) -> None:
    if not state.scheduled:
        raise NotFoundError(f"unknown activity {command.activity_id}")
    if state.status != "scheduled":
        raise ConflictError(f"activity {command.activity_id} is {state.status} already")


@decide.on(CancelActivity, guard=still_scheduled)
def cancel(state: Activity, command: CancelActivity) -> list[DomainEvent]:
    return [
        ActivityCancelled(
            activity_id=command.activity_id, customer_id=state.customer_id, reason=command.reason
        )
    ]


@decide.on(CompleteActivity, guard=still_scheduled)
def complete(state: Activity, command: CompleteActivity) -> list[DomainEvent]:
    return [
        ActivityCompleted(
            activity_id=command.activity_id, customer_id=state.customer_id, outcome=command.outcome
        )
    ]


def evolve(state: Activity, event: DomainEvent) -> Activity:
    match event:
        case ActivityScheduled(customer_id=cid):
            return Activity(scheduled=True, customer_id=cid, status="scheduled")
        case ActivityCancelled():
            return replace(state, status="cancelled")
        case ActivityCompleted():
            return replace(state, status="completed")
    return state


activity_decider: Decider[Activity, ActivityCommand] = Decider(
    initial_state=Activity, decide=decide, evolve=evolve
)
