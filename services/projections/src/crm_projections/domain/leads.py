"""The leads read model: one document per lead with what scoring reads (ADR 31): where it
came from, how complete its contact data is, its status and outcome, when it last moved, and
the rep's override. No personal value is kept: only whether each was given.

A lead's events come from its one stream, in order; a redelivered one is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crm_kernel.domain.envelope import EventEnvelope
from crm_sales_contracts.events import (
    LeadAssigned,
    LeadCaptured,
    LeadConverted,
    LeadDisqualified,
    LeadErased,
    LeadQualified,
    LeadRecycled,
    LeadScoreOverridden,
    LeadWorkStarted,
)

from crm_projections.domain.folds import Folds, fold_once
from crm_projections.domain.wire_values import latest, occurred

Document = dict[str, Any]
FOLDS = Folds()
EVENT_TYPES = frozenset(
    c.event_type
    for c in (
        LeadCaptured,
        LeadAssigned,
        LeadWorkStarted,
        LeadQualified,
        LeadDisqualified,
        LeadRecycled,
        LeadConverted,
        LeadScoreOverridden,
        LeadErased,
    )
)


def key(envelope: EventEnvelope) -> str | None:
    if envelope.type not in EVENT_TYPES:
        return None
    lead_id: str = envelope.data["lead_id"]
    return lead_id


def empty(lead_id: str) -> Document:
    return {
        "_id": lead_id,
        "lead_id": lead_id,
        "customer_id": None,
        "status": None,
        "outcome": None,  # won: converted; lost: disqualified (ADR 31)
        "channel": None,
        "campaign_id": None,
        "given": [],  # which of person, company, email, phone, interest, value it names
        "owner": None,
        "captured_at": None,
        "last_activity_at": None,
        "disqualification_reason": None,
        "converted_into": None,
        "score_override": None,
        "erased": False,
        "applied": {},
    }


GIVEN = {
    "person": "person_name",
    "company": "company_name",
    "email": "email",
    "phone": "phone",
    "interest": "product_interest",
    "value": "estimated_value",
}


@FOLDS.on(LeadCaptured)
def _captured(doc: Document, event: LeadCaptured, envelope: EventEnvelope) -> None:
    doc.update(
        customer_id=event.customer_id,
        status="assigned" if event.owner else "new",
        channel=event.channel.value,
        campaign_id=event.campaign_id,
        given=sorted(name for name, field in GIVEN.items() if getattr(event, field) is not None),
        owner=event.owner,
        captured_at=occurred(envelope),
    )


@FOLDS.on(LeadAssigned)
def _assigned(doc: Document, event: LeadAssigned, envelope: EventEnvelope) -> None:
    doc["owner"] = event.owner
    if doc["status"] == "new":
        doc["status"] = "assigned"


@FOLDS.on(LeadWorkStarted)
def _working(doc: Document, event: LeadWorkStarted, envelope: EventEnvelope) -> None:
    doc["status"] = "working"


@FOLDS.on(LeadRecycled)
def _recycled(doc: Document, event: LeadRecycled, envelope: EventEnvelope) -> None:
    doc.update(status="working", outcome=None, disqualification_reason=None)


@FOLDS.on(LeadQualified)
def _qualified(doc: Document, event: LeadQualified, envelope: EventEnvelope) -> None:
    doc["status"] = "qualified"


@FOLDS.on(LeadDisqualified)
def _disqualified(doc: Document, event: LeadDisqualified, envelope: EventEnvelope) -> None:
    doc.update(status="disqualified", outcome="lost", disqualification_reason=event.reason)


@FOLDS.on(LeadConverted)
def _converted(doc: Document, event: LeadConverted, envelope: EventEnvelope) -> None:
    doc.update(status="converted", outcome="won", converted_into=event.customer_id)


@FOLDS.on(LeadScoreOverridden)
def _overridden(doc: Document, event: LeadScoreOverridden, envelope: EventEnvelope) -> None:
    doc["score_override"] = event.score


@FOLDS.on(LeadErased)
def _erased(doc: Document, event: LeadErased, envelope: EventEnvelope) -> None:
    doc["erased"] = True


def _active(doc: Document, envelope: EventEnvelope) -> None:
    if envelope.type != LeadScoreOverridden.event_type:  # the rep's view, not the lead's
        doc["last_activity_at"] = latest(doc["last_activity_at"], occurred(envelope))


def fold(document: Document, envelopes: Iterable[EventEnvelope]) -> Document:
    return fold_once(FOLDS, document, envelopes, then=_active)
