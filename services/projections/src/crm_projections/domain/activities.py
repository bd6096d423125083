"""The activities read model: one document per scheduled call, meeting or follow-up, for the
owners' calendar feeds. Notes (personal data) stay out of it."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from crm_kernel.domain.envelope import EventEnvelope

Document = dict[str, Any]
SCHEDULED = "crm.contacts.ActivityScheduled.v1"
STATUS = {
    "crm.contacts.ActivityCancelled.v1": "cancelled",
    "crm.contacts.ActivityCompleted.v1": "completed",
}


def key(envelope: EventEnvelope) -> str | None:
    if envelope.type == SCHEDULED or envelope.type in STATUS:
        return str(envelope.data["activity_id"])
    return None


def empty(activity_id: str) -> Document:
    return {"_id": activity_id, "activity_id": activity_id, "status": None, "applied": {}}


def fold(document: Document, envelopes: Iterable[EventEnvelope]) -> Document:
    doc = copy.deepcopy(document)
    for e in envelopes:
        if e.stream_version <= doc["applied"].get(e.stream_id, 0):
            continue
        if e.type == SCHEDULED:
            d = e.data
            doc.update(
                customer_id=d["customer_id"],
                owner=d["owner"],
                kind=d["kind"],
                title=d["title"],
                starts_at=d["starts_at"],
                ends_at=d["ends_at"],
                location=d.get("location"),
                scheduled_at=e.occurred_at.isoformat(),
                status=doc["status"] or "scheduled",
            )
        elif e.type in STATUS:
            doc["status"] = STATUS[e.type]
            doc["closed_at"] = e.occurred_at.isoformat()
        doc["applied"][e.stream_id] = e.stream_version
    return doc
