"""The opportunity aggregate: a deal a customer may close, priced by its stage in a pipeline.

    command                 from          to / records
    open                    (none yet)    open, at the pipeline's first stage or the one named
    move to stage           open          open, at another open stage of its pipeline
    change amount           open          the amount (and currency) after the change
    change expected close   open          the date after the change (a slip when later)
    override probability    open          the rep's probability, or back to the stage's (None)
    set forecast category   open          the rep's category, or back to the stage's (None)
    reassign                open          another owner (and team)
    win                     open          won: terminal, the amount booked
    lose                    open          lost: terminal, with a listed reason
    reopen                  won, lost     open, at the stage named or the one it closed at

A command on a won or lost deal is a 409 naming the rule (reopen it first); a value a command
already holds records nothing. Won and lost are no stages: a stage named so is a 422 that
says which command to use. The probability that prices a deal is the rep's override, else the
stage's; its forecast category the rep's, else the stage's (ADR 30).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError
from crm_kernel.domain.events import DomainEvent
from crm_kernel.domain.reasons import required
from crm_kernel.text import collapse_spaces
from crm_sales_contracts.events import (
    Currency,
    ForecastCategory,
    LeadChannel,
    LeadOwner,
    LostReason,
    Money,
    OpportunityAmountChanged,
    OpportunityCloseDateChanged,
    OpportunityForecastCategorySet,
    OpportunityLost,
    OpportunityOpened,
    OpportunityProbabilityOverridden,
    OpportunityReassigned,
    OpportunityReopened,
    OpportunityStageChanged,
    OpportunityWon,
    Probability,
    Sku,
    StageName,
    Team,
)
from pydantic import BaseModel, ConfigDict

from crm_sales.domain.pipelines import Pipeline, Stage


def stream_of(opportunity_id: str) -> str:
    return f"opportunity-{opportunity_id}"


class Status(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)

    opportunity_id: str


class Priced(Command):
    """A command that needs the business's pipelines to find a stage's defaults."""

    pipelines: tuple[Pipeline, ...]


class OpenOpportunity(Priced):
    customer_id: str
    name: str
    owner: LeadOwner
    team: Team | None = None
    amount: Money
    currency: Currency
    expected_close: date
    products: tuple[Sku, ...] = ()
    pipeline: StageName = "default"
    stage: StageName | None = None  # None: the pipeline's first
    probability: Probability | None = None  # the rep's override
    forecast_category: ForecastCategory | None = None  # the rep's override
    source: LeadChannel | None = None
    lead_id: str | None = None
    campaign_id: str | None = None


class MoveToStage(Priced):
    stage: StageName


class ChangeAmount(Command):
    amount: Money
    currency: Currency


class ChangeExpectedClose(Command):
    expected_close: date


class OverrideProbability(Command):
    probability: Probability | None


class SetForecastCategory(Command):
    forecast_category: ForecastCategory | None


class Reassign(Command):
    owner: LeadOwner
    team: Team | None = None


class Win(Command):
    pass


class Lose(Command):
    """`reasons`: the configured list the reason must come from."""

    reason: LostReason
    note: str | None = None
    reasons: tuple[LostReason, ...]


class Reopen(Priced):
    stage: StageName | None = None  # None: the stage it closed at


OpportunityCommand = (
    OpenOpportunity
    | MoveToStage
    | ChangeAmount
    | ChangeExpectedClose
    | OverrideProbability
    | SetForecastCategory
    | Reassign
    | Win
    | Lose
    | Reopen
)


@dataclass(frozen=True)
class Opportunity:
    opened: OpportunityOpened | None = None  # None: never opened
    status: Status = Status.OPEN
    stage: Stage | None = None
    probability_override: int | None = None
    category_override: ForecastCategory | None = None
    amount: Decimal = Decimal(0)
    currency: str = ""
    expected_close: date | None = None
    owner: str = ""
    team: str | None = None
    reason: str | None = None
    note: str | None = None

    @property
    def customer_id(self) -> str:
        return self.opened.customer_id if self.opened else ""

    def probability(self, stage: Stage | None = None) -> int:
        """What prices the deal, at `stage` (default: its own)."""
        at = stage or self.stage
        assert at is not None
        return at.probability if self.probability_override is None else self.probability_override

    def category(self, stage: Stage | None = None) -> ForecastCategory:
        at = stage or self.stage
        assert at is not None
        return self.category_override or at.forecast_category


def _pipeline(pipelines: tuple[Pipeline, ...], name: str) -> Pipeline:
    found = next((p for p in pipelines if p.name.casefold() == name.strip().casefold()), None)
    if found is None:
        raise DomainError(
            f"no pipeline {name}: one of {', '.join(p.name for p in pipelines)}", field="pipeline"
        )
    return found


def _stage(pipeline: Pipeline, name: str) -> Stage:
    if name.strip().casefold() in ("won", "lost"):
        raise DomainError(
            f"{name} is no stage: win the deal with POST .../won, or lose it with POST "
            ".../lost and a reason",
            field="stage",
        )
    found = pipeline.stage(name)
    if found is None:
        raise DomainError(
            f"pipeline {pipeline.name} has no stage {name}: one of "
            f"{', '.join(s.name for s in pipeline.stages)}",
            field="stage",
        )
    return found


def _opened(state: Opportunity, command: Command) -> None:
    if state.opened is None:
        raise NotFoundError(f"no opportunity {command.opportunity_id}: open it first")


def _open(state: Opportunity, command: Command) -> None:
    """The guard of every command but open and reopen: won and lost are terminal."""
    _opened(state, command)
    if state.status is not Status.OPEN:
        raise ConflictError(
            f"opportunity {command.opportunity_id} is {state.status}: won and lost are "
            "terminal (reopen it first)"
        )


decide: Decisions[Opportunity, OpportunityCommand] = Decisions()


def _ids(state: Opportunity, command: Command) -> dict[str, str]:
    return {"opportunity_id": command.opportunity_id, "customer_id": state.customer_id}


@decide.on(OpenOpportunity)
def open_(state: Opportunity, command: OpenOpportunity) -> list[DomainEvent]:
    pipeline = _pipeline(command.pipelines, command.pipeline)
    stage = _stage(pipeline, command.stage) if command.stage else pipeline.stages[0]
    name = collapse_spaces(command.name)
    if not name:
        raise DomainError("name must not be blank", field="name")
    facts = command.model_dump(exclude={"pipelines", "probability", "forecast_category"})
    opened = OpportunityOpened(
        **facts
        | {
            "name": name,
            "pipeline": pipeline.name,
            "stage": stage.name,
            "stage_probability": stage.probability,
            "stage_category": stage.forecast_category,
            "probability": stage.probability
            if command.probability is None
            else command.probability,
            "probability_override": command.probability,
            "forecast_category": command.forecast_category or stage.forecast_category,
            "category_override": command.forecast_category is not None,
            "learned_pricing": pipeline.learned_probability,
        }
    )
    if state.opened is not None:
        if state.opened == opened:
            return []  # a retry (a redelivered conversion, say)
        raise ConflictError(f"opportunity {command.opportunity_id} was opened already")
    return [opened]


@decide.on(MoveToStage, guard=_open)
def move(state: Opportunity, command: MoveToStage) -> list[DomainEvent]:
    assert state.opened is not None and state.stage is not None
    stage = _stage(_pipeline(command.pipelines, state.opened.pipeline), command.stage)
    if stage.name == state.stage.name:
        return []
    return [
        OpportunityStageChanged(
            **_ids(state, command),
            stage=stage.name,
            stage_probability=stage.probability,
            stage_category=stage.forecast_category,
            probability=state.probability(stage),
            forecast_category=state.category(stage),
        )
    ]


@decide.on(ChangeAmount, guard=_open)
def change_amount(state: Opportunity, command: ChangeAmount) -> list[DomainEvent]:
    if (state.amount, state.currency) == (command.amount, command.currency):
        return []
    return [
        OpportunityAmountChanged(
            **_ids(state, command), amount=command.amount, currency=command.currency
        )
    ]


@decide.on(ChangeExpectedClose, guard=_open)
def change_close(state: Opportunity, command: ChangeExpectedClose) -> list[DomainEvent]:
    if state.expected_close == command.expected_close:
        return []
    return [
        OpportunityCloseDateChanged(**_ids(state, command), expected_close=command.expected_close)
    ]


@decide.on(OverrideProbability, guard=_open)
def override(state: Opportunity, command: OverrideProbability) -> list[DomainEvent]:
    if state.probability_override == command.probability:
        return []
    after = replace(state, probability_override=command.probability)
    return [
        OpportunityProbabilityOverridden(
            **_ids(state, command), override=command.probability, probability=after.probability()
        )
    ]


@decide.on(SetForecastCategory, guard=_open)
def set_category(state: Opportunity, command: SetForecastCategory) -> list[DomainEvent]:
    if state.category_override == command.forecast_category:
        return []
    after = replace(state, category_override=command.forecast_category)
    return [
        OpportunityForecastCategorySet(
            **_ids(state, command),
            forecast_category=after.category(),
            overridden=command.forecast_category is not None,
        )
    ]


@decide.on(Reassign, guard=_open)
def reassign(state: Opportunity, command: Reassign) -> list[DomainEvent]:
    owner = collapse_spaces(command.owner)
    if not owner:
        raise DomainError("owner must not be blank", field="owner")
    if (state.owner, state.team) == (owner, command.team):
        return []
    return [OpportunityReassigned(**_ids(state, command), owner=owner, team=command.team)]


@decide.on(Win, guard=_opened)
def win(state: Opportunity, command: Win) -> list[DomainEvent]:
    if state.status is Status.WON:
        return []  # won already: a retry
    _open(state, command)
    return [OpportunityWon(**_ids(state, command), amount=state.amount, currency=state.currency)]


@decide.on(Lose, guard=_opened)
def lose(state: Opportunity, command: Lose) -> list[DomainEvent]:
    reason = required(command.reason, command.reasons, "a lost deal")
    note = None if command.note is None else command.note.strip() or None
    if state.status is Status.LOST and (state.reason, state.note) == (reason, note):
        return []  # lost so already: a retry
    _open(state, command)
    return [OpportunityLost(**_ids(state, command), reason=reason, note=note)]


@decide.on(Reopen, guard=_opened)
def reopen(state: Opportunity, command: Reopen) -> list[DomainEvent]:
    assert state.opened is not None and state.stage is not None
    if state.status is Status.OPEN:
        raise ConflictError(
            f"opportunity {command.opportunity_id} is open: only a won or lost deal is reopened"
        )
    pipeline = _pipeline(command.pipelines, state.opened.pipeline)
    stage = _stage(pipeline, command.stage) if command.stage else state.stage
    return [
        OpportunityReopened(
            **_ids(state, command),
            stage=stage.name,
            stage_probability=stage.probability,
            stage_category=stage.forecast_category,
            probability=state.probability(stage),
            forecast_category=state.category(stage),
        )
    ]


def _stage_of(event: OpportunityOpened | OpportunityStageChanged | OpportunityReopened) -> Stage:
    """The stage as the event priced it (its pipeline may have changed since)."""
    return Stage(
        name=event.stage,
        probability=event.stage_probability,
        forecast_category=event.stage_category,
    )


def evolve(state: Opportunity, event: DomainEvent) -> Opportunity:
    changes: dict[str, Any] = {}
    match event:
        case OpportunityOpened():
            return Opportunity(
                opened=event,
                stage=_stage_of(event),
                probability_override=event.probability_override,
                category_override=event.forecast_category if event.category_override else None,
                amount=event.amount,
                currency=event.currency,
                expected_close=event.expected_close,
                owner=event.owner,
                team=event.team,
            )
        case OpportunityStageChanged() | OpportunityReopened():
            changes = {
                "stage": _stage_of(event),
                "status": Status.OPEN,
                "reason": None,
                "note": None,
            }
        case OpportunityAmountChanged():
            changes = {"amount": event.amount, "currency": event.currency}
        case OpportunityCloseDateChanged():
            changes = {"expected_close": event.expected_close}
        case OpportunityProbabilityOverridden():
            changes = {"probability_override": event.override}
        case OpportunityForecastCategorySet():
            changes = {"category_override": event.forecast_category if event.overridden else None}
        case OpportunityReassigned():
            changes = {"owner": event.owner, "team": event.team}
        case OpportunityWon():
            changes = {"status": Status.WON}
        case OpportunityLost():
            changes = {"status": Status.LOST, "reason": event.reason, "note": event.note}
    return replace(state, **changes)


opportunity_decider: Decider[Opportunity, OpportunityCommand] = Decider(
    initial_state=Opportunity, decide=decide, evolve=evolve
)
