"""The opportunities read model: one document per deal, with what each of its events set, so
the pipeline can be read as it stood at any time (ADR 30).

Every sales opportunity event sets some fields of the deal to the values after it (`changes`,
one function per event type). The document keeps them as `history`, one entry per stream
version with both times, and its current fields are the history folded in version order: a
redelivered event is skipped, and one arriving out of order lands in its place. `as_of`
folds the entries known (recorded) or happened (occurred) by a time.

The deal's name and a lost note stay as they travelled, sealed under the customer's key.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crm_kernel.domain.envelope import EventEnvelope
from crm_sales_contracts.events import (
    ForecastCategory,
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
)

from crm_projections.domain import change_history
from crm_projections.domain.folds import Folds
from crm_projections.domain.wire_values import json_decimal, occurred

Document = dict[str, Any]
Deal = dict[str, Any]
Basis = change_history.Basis

# The fields of a deal, as the read model and the pipeline read them.
BLANK: Deal = {
    "opportunity_id": None,
    "customer_id": None,
    "name": None,
    "owner": None,
    "team": None,
    "pipeline": None,
    "stage": None,
    "stage_probability": None,
    "probability": None,
    "probability_override": None,
    "learned_pricing": False,
    "forecast_category": None,
    "amount": None,
    "currency": None,
    "expected_close": None,
    "products": [],
    "source": None,
    "lead_id": None,
    "campaign_id": None,
    "status": None,
    "opened_at": None,
    "stage_entered_at": None,
    "closed_at": None,
    "lost_reason": None,
    "lost_note": None,
}
# Each fold fills what its event sets on the deal.
FOLDS = Folds()


def _stage(event: OpportunityStageChanged | OpportunityReopened, at: str) -> Deal:
    return {
        "stage": event.stage,
        "stage_probability": event.stage_probability,
        "probability": event.probability,
        "forecast_category": event.forecast_category.value,
        "stage_entered_at": at,
    }


@FOLDS.on(OpportunityOpened)
def _opened(changes: Deal, event: OpportunityOpened, envelope: EventEnvelope) -> None:
    at = occurred(envelope)
    changes.update(
        {
            "opportunity_id": event.opportunity_id,
            "customer_id": event.customer_id,
            "name": event.name,
            "owner": event.owner,
            "team": event.team,
            "pipeline": event.pipeline,
            "stage": event.stage,
            "stage_probability": event.stage_probability,
            "probability": event.probability,
            "probability_override": event.probability_override,
            "learned_pricing": event.learned_pricing,
            "forecast_category": event.forecast_category.value,
            "amount": json_decimal(event.amount),
            "currency": event.currency,
            "expected_close": event.expected_close.isoformat(),
            "products": list(event.products),
            "source": event.source.value if event.source else None,
            "lead_id": event.lead_id,
            "campaign_id": event.campaign_id,
            "status": "open",
            "opened_at": at,
            "stage_entered_at": at,
        }
    )


@FOLDS.on(OpportunityStageChanged)
def _moved(changes: Deal, event: OpportunityStageChanged, envelope: EventEnvelope) -> None:
    changes.update(_stage(event, occurred(envelope)))


@FOLDS.on(OpportunityAmountChanged)
def _amount(changes: Deal, event: OpportunityAmountChanged, envelope: EventEnvelope) -> None:
    changes.update({"amount": json_decimal(event.amount), "currency": event.currency})


@FOLDS.on(OpportunityCloseDateChanged)
def _close_date(changes: Deal, event: OpportunityCloseDateChanged, envelope: EventEnvelope) -> None:
    changes.update({"expected_close": event.expected_close.isoformat()})


@FOLDS.on(OpportunityProbabilityOverridden)
def _probability(
    changes: Deal, event: OpportunityProbabilityOverridden, envelope: EventEnvelope
) -> None:
    changes.update({"probability": event.probability, "probability_override": event.override})


@FOLDS.on(OpportunityForecastCategorySet)
def _category(
    changes: Deal, event: OpportunityForecastCategorySet, envelope: EventEnvelope
) -> None:
    changes.update({"forecast_category": event.forecast_category.value})


@FOLDS.on(OpportunityReassigned)
def _reassigned(changes: Deal, event: OpportunityReassigned, envelope: EventEnvelope) -> None:
    changes.update({"owner": event.owner, "team": event.team})


@FOLDS.on(OpportunityWon)
def _won(changes: Deal, event: OpportunityWon, envelope: EventEnvelope) -> None:
    changes.update(
        {
            "status": "won",
            "amount": json_decimal(event.amount),
            "currency": event.currency,
            "probability": 100,
            "forecast_category": ForecastCategory.CLOSED.value,
            "closed_at": occurred(envelope),
        }
    )


@FOLDS.on(OpportunityLost)
def _lost(changes: Deal, event: OpportunityLost, envelope: EventEnvelope) -> None:
    changes.update(
        {
            "status": "lost",
            "probability": 0,
            "forecast_category": ForecastCategory.OMITTED.value,
            "closed_at": occurred(envelope),
            "lost_reason": event.reason,
            "lost_note": event.note,
        }
    )


@FOLDS.on(OpportunityReopened)
def _reopened(changes: Deal, event: OpportunityReopened, envelope: EventEnvelope) -> None:
    changes.update(
        _stage(event, occurred(envelope))
        | {
            "status": "open",
            "closed_at": None,
            "lost_reason": None,
            "lost_note": None,
        }
    )


MODEL = change_history.HistoryModel("opportunity", "opportunity_id", FOLDS, BLANK)
changes_of, key, empty, fold = MODEL.changes_of, MODEL.key, MODEL.empty, MODEL.fold
now, as_of = MODEL.now, MODEL.as_of


def deal_of(history: Iterable[Document]) -> Deal:
    """The deal the entries make, folded in the order given."""
    return change_history.folded(history, BLANK)


def stage_history(doc: Document) -> list[tuple[str, str]]:
    """(stage, entered at) for each stage the deal entered, by occurred time."""
    moves = sorted(
        (e for e in doc["history"] if "stage_entered_at" in e["set"]),
        key=lambda e: (e["occurred_at"], e["version"]),
    )
    return [(e["set"]["stage"], e["set"]["stage_entered_at"]) for e in moves]
