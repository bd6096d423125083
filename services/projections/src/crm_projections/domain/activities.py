"""The activities read model: one document per scheduled call, meeting or follow-up, for the
owners' calendar feeds. Its title and location come as the event travelled, sealed under the
customer's key (application.calendar opens them); notes stay out of it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crm_contacts_contracts.events import ActivityCancelled, ActivityCompleted, ActivityScheduled
from crm_kernel.domain.envelope import EventEnvelope

from crm_projections.domain.folds import Folds, fold_once
from crm_projections.domain.wire_values import json_time, occurred

Document = dict[str, Any]
FOLDS = Folds()


def key(envelope: EventEnvelope) -> str | None:
    event = FOLDS.event_for(envelope)
    if isinstance(event, ActivityScheduled | ActivityCancelled | ActivityCompleted):
        return event.activity_id
    return None


def empty(activity_id: str) -> Document:
    return {"_id": activity_id, "activity_id": activity_id, "status": None, "applied": {}}


@FOLDS.on(ActivityScheduled)
def _scheduled(doc: Document, event: ActivityScheduled, envelope: EventEnvelope) -> None:
    doc.update(
        customer_id=event.customer_id,
        owner=event.owner,
        kind=event.kind.value,
        title=event.title,
        starts_at=json_time(event.starts_at),
        ends_at=json_time(event.ends_at),
        location=event.location,
        scheduled_at=occurred(envelope),
        status=doc["status"] or "scheduled",
    )


def _closed(doc: Document, status: str, envelope: EventEnvelope) -> None:
    doc["status"] = status
    doc["closed_at"] = occurred(envelope)


@FOLDS.on(ActivityCancelled)
def _cancelled(doc: Document, event: ActivityCancelled, envelope: EventEnvelope) -> None:
    _closed(doc, "cancelled", envelope)


@FOLDS.on(ActivityCompleted)
def _completed(doc: Document, event: ActivityCompleted, envelope: EventEnvelope) -> None:
    _closed(doc, "completed", envelope)


def fold(document: Document, envelopes: Iterable[EventEnvelope]) -> Document:
    return fold_once(FOLDS, document, envelopes)
