"""The support section: cases with their status, how many are open and closed, complaints and
returns, and their service levels (ADR 48): each case's breaches and first-response time, the
breaches and the average first-response time over all. The counts are recounted from the
cases (a case's events are one stream, folded in order), so no step is counted twice."""

from __future__ import annotations

from typing import Any

from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.domain.events import ERASED, DomainEvent
from crm_support_contracts.events import (
    STATUS_AFTER,
    CaseAssigned,
    CaseEscalated,
    CaseKind,
    CaseMarkedDuplicate,
    CaseOpened,
    CaseStatus,
    CaseTargetBreached,
    CaseTargetReached,
    ProductRated,
    ReturnApproved,
    ReturnReceived,
    ReturnRefused,
    ReturnRequested,
    ReturnResolved,
    ReturnStatus,
    SlaTarget,
    SurveyAnswered,
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
        "support": {
            "open_cases": 0,
            "closed_cases": 0,
            "complaints": 0,
            "returns": 0,
            "breaches": 0,
            "escalated_open_cases": 0,
            "average_first_response_s": None,
            "last_csat": None,
            "last_nps": None,
            "cases": [],
            "product_ratings": [],
            "return_requests": [],
        }
    }


def _recount(support: Document) -> None:
    cases = support["cases"]
    statuses = [case["status"] for case in cases]
    support["open_cases"] = sum(1 for s in statuses if s in OPEN)
    support["closed_cases"] = sum(1 for s in statuses if s in DONE)
    support["breaches"] = sum(len(case.get("breaches", ())) for case in cases)
    support["escalated_open_cases"] = sum(
        1 for case in cases if case.get("escalated") and case["status"] in OPEN
    )
    taken = [c["first_response_s"] for c in cases if c.get("first_response_s") is not None]
    support["average_first_response_s"] = round(sum(taken) / len(taken)) if taken else None
    answers = sorted((c["survey"] for c in cases if c.get("survey")), key=_answered)
    support["last_csat"] = _score(answers[-1], "csat") if answers else None
    with_nps = [a for a in answers if a["nps"] is not None]
    support["last_nps"] = _score(with_nps[-1], "nps") if with_nps else None


def _answered(answer: Document) -> tuple[str, int]:
    return answer["answered_at"], answer["survey"]


def _score(answer: Document, scale: str) -> Document:
    return {"score": answer[scale], "at": answer["answered_at"], "case_id": answer["case_id"]}


def _case(doc: Document, case_id: str) -> Document | None:
    """The case's entry (same stream as its CaseOpened: always folded after it)."""
    return next((c for c in doc["support"]["cases"] if c["id"] == case_id), None)


@FOLDS.on(CaseOpened)
def _case_opened(doc: Document, event: CaseOpened, envelope: EventEnvelope) -> None:
    support = doc["support"]
    if event.kind == CaseKind.COMPLAINT:
        support["complaints"] += 1
    if event.kind == CaseKind.RETURN:
        support["returns"] += 1
    case: Document = {
        "id": event.case_id,
        "opened_at": occurred(envelope),
        "kind": event.kind.value,
        "priority": event.priority.value,
        "subject": event.subject,
        "status": CaseStatus.NEW.value,
        "channel": event.channel.value,
        "product_sku": event.product_sku,
        "team_id": event.team_id,
        "escalated": False,
        "breaches": [],
    }
    support["cases"] = upsert(support["cases"], case, "opened_at", "id")
    _recount(support)


@FOLDS.on(CaseAssigned)
def _case_assigned(doc: Document, event: CaseAssigned, envelope: EventEnvelope) -> None:
    # Same stream as its CaseOpened, so always folded after it.
    case = _case(doc, event.case_id)
    if case is not None:
        case["assignee"] = event.assignee
        if event.team_id is not None:
            case["team_id"] = event.team_id
        if case["status"] == CaseStatus.NEW.value:
            case["status"] = CaseStatus.ASSIGNED.value
    _recount(doc["support"])


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


@FOLDS.on(CaseTargetReached)
def _target_reached(doc: Document, event: CaseTargetReached, envelope: EventEnvelope) -> None:
    case = _case(doc, event.case_id)
    if case is not None and event.target is SlaTarget.FIRST_RESPONSE:
        case["first_response_s"] = event.taken_s  # working seconds
        case["first_response_met"] = event.met
    _recount(doc["support"])


@FOLDS.on(CaseTargetBreached)
def _target_breached(doc: Document, event: CaseTargetBreached, envelope: EventEnvelope) -> None:
    case = _case(doc, event.case_id)
    if case is not None:
        breach = {"target": event.target.value, "due_at": event.due_at.isoformat()}
        case["breaches"] = [*case.get("breaches", []), breach]
    _recount(doc["support"])


@FOLDS.on(CaseEscalated)
def _escalated(doc: Document, event: CaseEscalated, envelope: EventEnvelope) -> None:
    case = _case(doc, event.case_id)
    if case is not None:
        case["escalated"] = True
        if event.priority is not None:
            case["priority"] = event.priority.value
        if event.team_id is not None:
            case["team_id"] = event.team_id
    _recount(doc["support"])


@FOLDS.on(SurveyAnswered)
def _survey_answered(doc: Document, event: SurveyAnswered, envelope: EventEnvelope) -> None:
    case = _case(doc, event.case_id)
    if case is not None:
        answer = {"case_id": event.case_id, "survey": event.survey, "csat": event.csat,
                  "nps": event.nps, "answered_at": occurred(envelope)}  # fmt: skip
        if case.get("survey") is None or _answered(answer) > _answered(case["survey"]):
            case["survey"] = answer  # the case's latest answer (a survey per resolution)
    _recount(doc["support"])


@FOLDS.on(ProductRated)
def _product_rated(doc: Document, event: ProductRated, envelope: EventEnvelope) -> None:
    """The stars, not the review (free text, kept only on the rating's own stream)."""
    rating = {"id": event.rating_id, "product_sku": event.product_sku, "stars": event.stars,
              "rated_at": occurred(envelope)}  # fmt: skip
    support = doc["support"]
    support["product_ratings"] = upsert(support["product_ratings"], rating, "rated_at", "id")


RETURN_STATUS: dict[type[DomainEvent], ReturnStatus] = {
    ReturnApproved: ReturnStatus.APPROVED,
    ReturnRefused: ReturnStatus.REFUSED,
    ReturnReceived: ReturnStatus.RECEIVED,
    ReturnResolved: ReturnStatus.RESOLVED,
}


@FOLDS.on(ReturnRequested)
def _return_requested(doc: Document, event: ReturnRequested, envelope: EventEnvelope) -> None:
    requested = {"id": event.return_id, "order_id": event.order_id, "case_id": event.case_id,
                 "requested_at": occurred(envelope), "status": ReturnStatus.REQUESTED.value,
                 "reason": event.reason, "rma": None, "resolution": None}  # fmt: skip
    support = doc["support"]
    support["return_requests"] = upsert(support["return_requests"], requested, "requested_at", "id")


def _return_moved(doc: Document, event: Any, envelope: EventEnvelope) -> None:
    """A return's step (same stream as its request: always folded after it)."""
    for requested in doc["support"]["return_requests"]:
        if requested["id"] == event.return_id:
            requested["status"] = RETURN_STATUS[type(event)].value
            if isinstance(event, ReturnApproved):
                requested["rma"] = event.rma
            if isinstance(event, ReturnResolved):
                requested["resolution"] = event.resolution.value


for _return_class in RETURN_STATUS:
    FOLDS.on(_return_class)(_return_moved)


def absorb(survivor: Document, merged: Document) -> None:
    mine, theirs = survivor["support"], merged["support"]
    for key in COUNTS:
        mine[key] += theirs[key]
    mine["cases"] = unite(mine["cases"], theirs["cases"], "opened_at", "id")
    for listed, when in (("product_ratings", "rated_at"), ("return_requests", "requested_at")):
        mine[listed] = unite(mine[listed], theirs[listed], when, "id")
    _recount(mine)


def scrub(doc: Document) -> None:
    """Case subjects are free text, personal like every free text."""
    for case in doc["support"]["cases"]:
        case["subject"] = ERASED


SECTION = Section(blank=blank, folds=FOLDS, absorb=absorb, scrub=scrub)
