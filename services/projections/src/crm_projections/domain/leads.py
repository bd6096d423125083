"""The leads read model: one document per lead with what scoring reads (ADR 31): where it
came from, how complete its contact data is, its status and outcome, when it last moved, and
the rep's override. No personal value is kept: only whether each was given.

It keeps what each event set (domain.change_history): a lead's conversion onto an existing
customer travels under that customer's key, on another partition than the lead's other
events, and may arrive first.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
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

from crm_projections.domain import change_history
from crm_projections.domain.copies import copy_of
from crm_projections.domain.folds import Folds
from crm_projections.domain.wire_values import occurred

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


# The fields of a lead, as scoring reads them.
BLANK: Document = {
    "customer_id": None,
    "status": None,
    "outcome": None,  # won: converted; lost: disqualified (ADR 31)
    "channel": None,
    "campaign_id": None,
    "given": [],  # which of person, company, email, phone, interest, value it names
    "owner": None,
    "captured_at": None,
    "disqualification_reason": None,
    "converted_into": None,
    "score_override": None,
    "erased": False,
}


def empty(lead_id: str) -> Document:
    return {
        "_id": lead_id,
        "lead_id": lead_id,
        **copy_of(BLANK),
        "last_activity_at": None,
        "history": [],
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
def _captured(changes: Document, event: LeadCaptured, envelope: EventEnvelope) -> None:
    changes.update(
        customer_id=event.customer_id,
        status="new",
        channel=event.channel.value,
        campaign_id=event.campaign_id,
        given=sorted(name for name, field in GIVEN.items() if getattr(event, field) is not None),
        owner=event.owner,
        captured_at=occurred(envelope),
    )


@FOLDS.on(LeadAssigned)
def _assigned(changes: Document, event: LeadAssigned, envelope: EventEnvelope) -> None:
    changes["owner"] = event.owner


@FOLDS.on(LeadWorkStarted)
def _working(changes: Document, event: LeadWorkStarted, envelope: EventEnvelope) -> None:
    changes["status"] = "working"


@FOLDS.on(LeadRecycled)
def _recycled(changes: Document, event: LeadRecycled, envelope: EventEnvelope) -> None:
    changes.update(status="working", outcome=None, disqualification_reason=None)


@FOLDS.on(LeadQualified)
def _qualified(changes: Document, event: LeadQualified, envelope: EventEnvelope) -> None:
    changes["status"] = "qualified"


@FOLDS.on(LeadDisqualified)
def _disqualified(changes: Document, event: LeadDisqualified, envelope: EventEnvelope) -> None:
    changes.update(status="disqualified", outcome="lost", disqualification_reason=event.reason)


@FOLDS.on(LeadConverted)
def _converted(changes: Document, event: LeadConverted, envelope: EventEnvelope) -> None:
    changes.update(status="converted", outcome="won", converted_into=event.customer_id)


@FOLDS.on(LeadScoreOverridden)
def _overridden(changes: Document, event: LeadScoreOverridden, envelope: EventEnvelope) -> None:
    changes["score_override"] = event.score


@FOLDS.on(LeadErased)
def _erased(changes: Document, event: LeadErased, envelope: EventEnvelope) -> None:
    changes["erased"] = True


def changes_of(envelope: EventEnvelope) -> Document | None:
    if envelope.type not in EVENT_TYPES:
        return None
    changes: Document = {}
    FOLDS.apply(changes, envelope)
    if envelope.type != LeadScoreOverridden.event_type:  # the rep's view, not the lead's
        changes["active"] = True
    return changes


def fold(document: Document, envelopes: Iterable[EventEnvelope]) -> Document:
    doc = change_history.record(document, envelopes, changes_of, BLANK | {"active": False})
    history = doc["history"]
    # A new lead with an owner is assigned, however the owner came.
    if doc["status"] == "new" and doc["owner"] is not None:
        doc["status"] = "assigned"
    doc.pop("active", None)
    moved = max((e["occurred_at"] for e in history if e["set"].get("active")), default=None)
    # As occurred() spells times, like the behaviours it is compared with.
    doc["last_activity_at"] = datetime.fromisoformat(moved).isoformat() if moved else None
    doc["applied"] = {f"lead-{doc['_id']}": history[-1]["version"]} if history else {}
    return doc
