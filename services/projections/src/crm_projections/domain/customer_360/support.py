"""The support section: cases with their status, how many are open and closed, complaints and
returns. The counts of open and closed are recounted from the cases (a case's events are one
stream, folded in order), so no step is counted twice."""

from __future__ import annotations

from typing import Any

from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.domain.events import ERASED, DomainEvent
from crm_support_contracts.events import (
    CaseAssigned,
    CaseClosed,
    CaseKind,
    CaseMarkedDuplicate,
    CaseOpened,
    CaseRejected,
    CaseReopened,
    CaseResolved,
    CaseStatus,
    CaseWaitingOnCustomer,
    CaseWorkStarted,
)

from crm_projections.domain.customer_360.lists import unite, upsert
from crm_projections.domain.customer_360.section import Section
from crm_projections.domain.folds import Folds
from crm_projections.domain.wire_values import occurred

Document = dict[str, Any]
FOLDS = Folds()
COUNTS = ("complaints", "returns")
OPEN = {CaseStatus.NEW, CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS, CaseStatus.WAITING_ON_CUSTOMER}
DONE = {CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.DUPLICATE}


def blank() -> Document:
    return {
        "support": {"open_cases": 0, "closed_cases": 0, "complaints": 0, "returns": 0, "cases": []}
    }


def _recount(support: Document) -> None:
    statuses = [case["status"] for case in support["cases"]]
    support["open_cases"] = sum(1 for s in statuses if s in OPEN)
    support["closed_cases"] = sum(1 for s in statuses if s in DONE)


@FOLDS.on(CaseOpened)
def _case_opened(doc: Document, event: CaseOpened, envelope: EventEnvelope) -> None:
    support = doc["support"]
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
        "status": CaseStatus.NEW.value,
        "channel": event.channel.value,
        "product_sku": event.product_sku,
    }
    support["cases"] = upsert(support["cases"], case, "opened_at", "id")
    _recount(support)


@FOLDS.on(CaseAssigned)
def _case_assigned(doc: Document, event: CaseAssigned, envelope: EventEnvelope) -> None:
    # Same stream as its CaseOpened, so always folded after it.
    for case in doc["support"]["cases"]:
        if case["id"] == event.case_id:
            case["assignee"] = event.assignee
            if case["status"] == CaseStatus.NEW.value:
                case["status"] = CaseStatus.ASSIGNED.value
    _recount(doc["support"])


STATUS_AFTER: dict[type[DomainEvent], CaseStatus] = {
    CaseWorkStarted: CaseStatus.IN_PROGRESS,
    CaseWaitingOnCustomer: CaseStatus.WAITING_ON_CUSTOMER,
    CaseResolved: CaseStatus.RESOLVED,
    CaseReopened: CaseStatus.IN_PROGRESS,
    CaseClosed: CaseStatus.CLOSED,
    CaseRejected: CaseStatus.REJECTED,
    CaseMarkedDuplicate: CaseStatus.DUPLICATE,
}


def _moved(doc: Document, event: Any, envelope: EventEnvelope) -> None:
    """The case's status after a step of its life (same stream: after its CaseOpened)."""
    for case in doc["support"]["cases"]:
        if case["id"] == event.case_id:
            case["status"] = STATUS_AFTER[type(event)].value
            if isinstance(event, CaseMarkedDuplicate):
                case["duplicate_of"] = event.of
    _recount(doc["support"])


for _event_class in STATUS_AFTER:
    FOLDS.on(_event_class)(_moved)


def absorb(survivor: Document, merged: Document) -> None:
    mine, theirs = survivor["support"], merged["support"]
    for key in COUNTS:
        mine[key] += theirs[key]
    mine["cases"] = unite(mine["cases"], theirs["cases"], "opened_at", "id")
    _recount(mine)


def scrub(doc: Document) -> None:
    """Case subjects are free text, personal like every free text."""
    for case in doc["support"]["cases"]:
        case["subject"] = ERASED


SECTION = Section(blank=blank, folds=FOLDS, absorb=absorb, scrub=scrub)
