"""The campaign aggregate (ADR 52): one stream per campaign, `marketing-campaign-<id>`.

    status    to
    planning  active (launch: the audience is resolved and recorded), cancelled
    active    paused, complete, cancelled
    paused    active (resume), complete, cancelled
    complete, cancelled: for good

The audience is defined while planning; launching records the members the application
resolved (`audience.resolve`, pure) in chunks of at most MAX_CHUNK. Actual costs are recorded
as they are incurred, in the campaign's currency, at any status but cancelled, each once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crm_campaigns_contracts.events import (
    MAX_CHUNK,
    AudienceRules,
    CampaignAudienceDefined,
    CampaignAudienceResolved,
    CampaignCancelled,
    CampaignCompleted,
    CampaignCostRecorded,
    CampaignCreated,
    CampaignLaunched,
    CampaignPaused,
    CampaignResumed,
    CampaignStatus,
    CampaignStep,
    Channel,
    CostCategory,
    Exclusion,
)
from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError
from crm_kernel.domain.events import DomainEvent
from pydantic import BaseModel, ConfigDict

S = CampaignStatus


def stream_of(campaign_id: str) -> str:
    return f"marketing-campaign-{campaign_id}"


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)

    campaign_id: str


class CreateCampaign(Command):
    name: str
    channel: Channel
    objective: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    currency: str
    budget: Decimal
    expected_revenue: Decimal | None = None


class DefineAudience(Command):
    rules: AudienceRules
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


class Launch(Command):
    """The audience as the application resolved it at `resolved_at`."""

    members: tuple[str, ...]
    excluded: tuple[Exclusion, ...]
    resolved_at: datetime


class Pause(Command):
    pass


class Resume(Command):
    pass


class Complete(Command):
    pass


class Cancel(Command):
    pass


class RecordCost(Command):
    cost_id: str
    amount: Decimal
    currency: str
    category: CostCategory
    description: str | None = None
    incurred_on: date


CampaignCommand = (
    CreateCampaign | DefineAudience | Launch | Pause | Resume | Complete | Cancel | RecordCost
)


@dataclass(frozen=True)
class Campaign:
    created: CampaignCreated | None = None
    status: CampaignStatus = S.PLANNING
    audience: CampaignAudienceDefined | None = None
    costs: Mapping[str, CampaignCostRecorded] = field(default_factory=dict)
    spent: Decimal = Decimal(0)
    members: int = 0  # the launched audience, as recorded
    excluded: Mapping[str, int] = field(default_factory=dict)  # left out, by reason


def _created(state: Campaign, command: Command) -> None:
    if state.created is None:
        raise NotFoundError(f"no campaign {command.campaign_id}: create it first")


def _refused(state: Campaign, command: Command, what: str) -> ConflictError:
    return ConflictError(
        f"campaign {command.campaign_id} is {state.status.value}: it cannot {what}"
    )


decide: Decisions[Campaign, CampaignCommand] = Decisions()


@decide.on(CreateCampaign)
def create(state: Campaign, command: CreateCampaign) -> list[DomainEvent]:
    if command.starts_on and command.ends_on and command.ends_on < command.starts_on:
        raise DomainError("a campaign ends on or after it starts", field="ends_on")
    made = CampaignCreated(**command.model_dump())
    if state.created is not None:
        if state.created == made:
            return []
        raise ConflictError(f"campaign {command.campaign_id} exists already, otherwise")
    return [made]


@decide.on(DefineAudience, guard=_created)
def define_audience(state: Campaign, command: DefineAudience) -> list[DomainEvent]:
    if state.status is not S.PLANNING:
        raise _refused(state, command, "change its audience: it was launched")
    made = CampaignAudienceDefined(**command.model_dump())
    return [] if state.audience == made else [made]


@decide.on(Launch, guard=_created)
def launch(state: Campaign, command: Launch) -> list[DomainEvent]:
    if state.status is S.ACTIVE:
        return []  # launched already: a retry records nothing
    if state.status is not S.PLANNING:
        raise _refused(state, command, "be launched")
    if state.audience is None:
        raise ConflictError(f"campaign {command.campaign_id} has no audience: define it first")
    members, excluded = command.members, command.excluded
    count = max(-(-len(members) // MAX_CHUNK), -(-len(excluded) // MAX_CHUNK), 1 if members else 0)
    chunks = [
        CampaignAudienceResolved(
            campaign_id=command.campaign_id,
            chunk=n + 1,
            members=members[n * MAX_CHUNK : (n + 1) * MAX_CHUNK],
            excluded=excluded[n * MAX_CHUNK : (n + 1) * MAX_CHUNK],
        )
        for n in range(count)
    ]
    launched = CampaignLaunched(
        campaign_id=command.campaign_id, members=len(members), excluded=len(excluded),
        chunks=len(chunks), resolved_at=command.resolved_at,
    )  # fmt: skip
    return [launched, *chunks]


def _moved(allowed: frozenset[CampaignStatus], to: CampaignStatus, event: type[CampaignStep],
           what: str) -> Any:  # fmt: skip
    def decision(state: Campaign, command: Command) -> list[DomainEvent]:
        if state.status is to:
            return []
        if state.status not in allowed:
            raise _refused(state, command, what)
        return [event(campaign_id=command.campaign_id)]

    return decision


LIVE = frozenset({S.ACTIVE, S.PAUSED})
decide.on(Pause, guard=_created)(_moved(frozenset({S.ACTIVE}), S.PAUSED, CampaignPaused, "pause"))
decide.on(Resume, guard=_created)(
    _moved(frozenset({S.PAUSED}), S.ACTIVE, CampaignResumed, "resume")
)
decide.on(Complete, guard=_created)(_moved(LIVE, S.COMPLETE, CampaignCompleted, "complete"))
decide.on(Cancel, guard=_created)(
    _moved(LIVE | {S.PLANNING}, S.CANCELLED, CampaignCancelled, "be cancelled")
)


@decide.on(RecordCost, guard=_created)
def record_cost(state: Campaign, command: RecordCost) -> list[DomainEvent]:
    assert state.created is not None
    if command.currency != state.created.currency:
        raise DomainError(
            f"campaign {command.campaign_id} counts in {state.created.currency}", field="currency"
        )
    made = CampaignCostRecorded(**command.model_dump())
    known = state.costs.get(command.cost_id)
    if known is not None:
        if known == made:
            return []
        raise ConflictError(f"cost {command.cost_id} was recorded already, otherwise")
    if state.status is S.CANCELLED:
        raise _refused(state, command, "take costs")
    return [made]


STATUS_AFTER: dict[type[DomainEvent], CampaignStatus] = {
    CampaignLaunched: S.ACTIVE,
    CampaignPaused: S.PAUSED,
    CampaignResumed: S.ACTIVE,
    CampaignCompleted: S.COMPLETE,
    CampaignCancelled: S.CANCELLED,
}


def evolve(state: Campaign, event: DomainEvent) -> Campaign:
    changes: dict[str, Any] = {}
    match event:
        case CampaignCreated():
            changes = {"created": event}
        case CampaignAudienceDefined():
            changes = {"audience": event}
        case CampaignCostRecorded():
            changes = {
                "costs": {**state.costs, event.cost_id: event},
                "spent": state.spent + event.amount,
            }
        case CampaignAudienceResolved():
            excluded = dict(state.excluded)
            for left_out in event.excluded:
                excluded[left_out.reason] = excluded.get(left_out.reason, 0) + 1
            changes = {"members": state.members + len(event.members), "excluded": excluded}
    if type(event) in STATUS_AFTER:
        changes["status"] = STATUS_AFTER[type(event)]
    return replace(state, **changes)


campaign_decider: Decider[Campaign, CampaignCommand] = Decider(
    initial_state=Campaign, decide=decide, evolve=evolve
)
