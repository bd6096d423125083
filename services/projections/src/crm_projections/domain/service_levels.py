"""The service-levels read model (ADR 50): one document per support case with what each of its
events set (ADR 30), so a case's service level can be read as it stood at any time.

Support decided every deadline, and recorded each target reached or breached (ADR 48). What
is overdue *now* depends on the time it is read for, so it is worked out when read
(`targets_at`), never folded from a clock: a target still running whose deadline has passed
by then reads as breached, as the deadline scheduler will record it. Nothing here is
personal: ids, handles, codes and instants.

The summary's percentiles are nearest-rank: the p-th of n values sorted is the ceil(p/100*n)-th.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from crm_kernel.domain.envelope import EventEnvelope
from crm_support_contracts.events import (
    STATUS_AFTER,
    CaseAssigned,
    CaseEscalated,
    CaseOpened,
    CaseSlaApplied,
    CaseSlaPaused,
    CaseSlaResumed,
    CaseStatus,
    CaseTargetBreached,
    CaseTargetReached,
    SlaTarget,
)

from crm_projections.domain import change_history
from crm_projections.domain.folds import Folds
from crm_projections.domain.wire_values import occurred

Document = dict[str, Any]
TARGETS = tuple(t.value for t in SlaTarget)
OPEN = frozenset(
    s.value
    for s in (
        CaseStatus.NEW,
        CaseStatus.ASSIGNED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.WAITING_ON_CUSTOMER,
    )
)
BLANK: Document = {
    "case_id": None,
    "customer_id": None,
    "status": None,
    "kind": None,
    "priority": None,
    "opened_priority": None,  # what its targets were chosen by (escalation may raise it)
    "team_id": None,
    "assignee": None,
    "opened_at": None,
    "escalated": False,
    "policy": None,
    # Per target: its working time (None: the policy sets none), the running deadline (None
    # while paused or once reached), and what ended it.
    **{f"{t}_target_s": None for t in TARGETS},
    **{f"{t}_due_at": None for t in TARGETS},
    **{f"{t}_reached": None for t in TARGETS},  # {"at", "due_at", "taken_s", "met"}
    **{f"{t}_breached_at": None for t in TARGETS},  # the deadline that passed
}
FOLDS = Folds()


def _step(changes: Document, event: Any) -> None:
    changes["case_id"], changes["customer_id"] = event.case_id, event.customer_id


@FOLDS.on(CaseOpened)
def _opened(changes: Document, event: CaseOpened, envelope: EventEnvelope) -> None:
    _step(changes, event)
    changes.update(
        {
            "status": CaseStatus.NEW.value,
            "kind": event.kind.value,
            "priority": event.priority.value,
            "opened_priority": event.priority.value,
            "team_id": event.team_id,
            "opened_at": occurred(envelope),
        }
    )


@FOLDS.on(CaseAssigned)
def _assigned(changes: Document, event: CaseAssigned, envelope: EventEnvelope) -> None:
    _step(changes, event)
    changes["assignee"] = event.assignee
    if event.team_id is not None:
        changes["team_id"] = event.team_id


def _moved(changes: Document, event: Any, envelope: EventEnvelope) -> None:
    _step(changes, event)
    changes["status"] = STATUS_AFTER[type(event)].value


for _event_class in STATUS_AFTER:
    FOLDS.on(_event_class)(_moved)


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@FOLDS.on(CaseSlaApplied)
def _applied(changes: Document, event: CaseSlaApplied, envelope: EventEnvelope) -> None:
    _step(changes, event)
    changes.update(
        {
            "policy": event.terms.policy,
            "first_response_target_s": event.terms.first_response_s,
            "resolution_target_s": event.terms.resolution_s,
            "first_response_due_at": _when(event.first_response_due_at),
            "resolution_due_at": _when(event.resolution_due_at),
        }
    )


@FOLDS.on(CaseSlaPaused)
def _paused(changes: Document, event: CaseSlaPaused, envelope: EventEnvelope) -> None:
    _step(changes, event)
    changes["resolution_due_at"] = None


@FOLDS.on(CaseSlaResumed)
def _resumed(changes: Document, event: CaseSlaResumed, envelope: EventEnvelope) -> None:
    _step(changes, event)
    changes["resolution_due_at"] = _when(event.resolution_due_at)
    changes["resolution_reached"] = None  # a reopen: the last resolution counts


@FOLDS.on(CaseTargetReached)
def _reached(changes: Document, event: CaseTargetReached, envelope: EventEnvelope) -> None:
    _step(changes, event)
    target = event.target.value
    changes[f"{target}_reached"] = {
        "at": event.reached_at.isoformat(),
        "due_at": event.due_at.isoformat(),
        "taken_s": event.taken_s,
        "met": event.met,
    }
    changes[f"{target}_due_at"] = None


@FOLDS.on(CaseTargetBreached)
def _breached(changes: Document, event: CaseTargetBreached, envelope: EventEnvelope) -> None:
    _step(changes, event)
    changes[f"{event.target.value}_breached_at"] = event.due_at.isoformat()


@FOLDS.on(CaseEscalated)
def _escalated(changes: Document, event: CaseEscalated, envelope: EventEnvelope) -> None:
    _step(changes, event)
    changes["escalated"] = True
    if event.priority is not None:
        changes["priority"] = event.priority.value
    if event.team_id is not None:
        changes["team_id"] = event.team_id


MODEL = change_history.HistoryModel("case", "case_id", FOLDS, BLANK)
changes_of, key, empty, fold = MODEL.changes_of, MODEL.key, MODEL.empty, MODEL.fold

State = Literal["ongoing", "paused", "stopped", "met", "breached"]
RAW = frozenset(f"{t}_{part}" for t in TARGETS for part in ("due_at", "reached", "breached_at"))


def target_at(case: Document, target: str, at: datetime) -> Document | None:
    """One target as it stands at `at`: met or breached when reached, breached when its
    deadline passed (recorded, or not yet), ongoing with the seconds left, paused (waiting on
    the customer), or stopped (the case ended before it was reached); None: no such target."""
    if case[f"{target}_target_s"] is None:
        return None
    reached, breached = case[f"{target}_reached"], case[f"{target}_breached_at"]
    due = case[f"{target}_due_at"]
    if reached is not None:
        state: State = "met" if reached["met"] else "breached"
        return {"state": state, **reached}
    if breached is not None:
        return {"state": "breached", "due_at": breached}
    if due is not None:
        left = int((datetime.fromisoformat(due) - at).total_seconds())
        return {"state": "breached" if left < 0 else "ongoing", "due_at": due, "left_s": left}
    return {"state": "paused" if case["status"] in OPEN else "stopped", "due_at": None}


def targets_at(case: Document, at: datetime) -> Document:
    """The case's fields with each target's standing at `at`."""
    return {
        **{k: v for k, v in case.items() if k not in RAW},
        "targets": {t: target_at(case, t, at) for t in TARGETS},
    }


def nearest_rank(values: Sequence[int], percent: int) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(percent / 100 * len(ordered)), 1) - 1]


@dataclass(frozen=True)
class Figures:
    """One group's figures for one target."""

    reached: int
    met: int
    breached: int
    attainment: float | None  # met / (met + breached)
    p50_s: int | None
    p90_s: int | None


def figures(standings: Iterable[Document | None]) -> Figures:
    found = [s for s in standings if s is not None]
    taken = [s["taken_s"] for s in found if "taken_s" in s]
    met = sum(1 for s in found if s["state"] == "met")
    breached = sum(1 for s in found if s["state"] == "breached")
    decided = met + breached
    return Figures(
        reached=len(taken),
        met=met,
        breached=breached,
        attainment=round(met / decided, 4) if decided else None,
        p50_s=nearest_rank(taken, 50),
        p90_s=nearest_rank(taken, 90),
    )


def period_of(standing: Document | None, case: Document) -> str:
    """The month a target was decided in (reached or breached), else the case's opening."""
    when = (standing or {}).get("at") or (standing or {}).get("due_at") or case["opened_at"]
    return str(when)[:7]
