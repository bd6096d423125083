"""The support section: cases, how many are open, complaints and returns."""

from __future__ import annotations

from typing import Any

from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.domain.events import ERASED
from crm_support_contracts.events import CaseAssigned, CaseKind, CaseOpened

from crm_projections.domain.customer_360.lists import unite, upsert
from crm_projections.domain.customer_360.section import Section
from crm_projections.domain.folds import Folds
from crm_projections.domain.wire_values import occurred

Document = dict[str, Any]
FOLDS = Folds()
COUNTS = ("open_cases", "complaints", "returns")


def blank() -> Document:
    return {"support": {"open_cases": 0, "complaints": 0, "returns": 0, "cases": []}}


@FOLDS.on(CaseOpened)
def _case_opened(doc: Document, event: CaseOpened, envelope: EventEnvelope) -> None:
    support = doc["support"]
    support["open_cases"] += 1
    if event.kind == CaseKind.COMPLAINT:
        support["complaints"] += 1
    if event.kind == CaseKind.RETURN:
        support["returns"] += 1
    case = {
        "id": event.case_id,
        "opened_at": occurred(envelope),
        "kind": event.kind.value,
        "priority": event.priority.value,
        "subject": event.subject,
        "status": "open",
    }
    support["cases"] = upsert(support["cases"], case, "opened_at", "id")


@FOLDS.on(CaseAssigned)
def _case_assigned(doc: Document, event: CaseAssigned, envelope: EventEnvelope) -> None:
    # Same stream as its CaseOpened, so always folded after it.
    for case in doc["support"]["cases"]:
        if case["id"] == event.case_id:
            case["assignee"] = event.assignee


def absorb(survivor: Document, merged: Document) -> None:
    mine, theirs = survivor["support"], merged["support"]
    for key in COUNTS:
        mine[key] += theirs[key]
    mine["cases"] = unite(mine["cases"], theirs["cases"], "opened_at", "id")


def scrub(doc: Document) -> None:
    """Case subjects are free text, personal like every free text."""
    for case in doc["support"]["cases"]:
        case["subject"] = ERASED


SECTION = Section(blank=blank, folds=FOLDS, absorb=absorb, scrub=scrub)
