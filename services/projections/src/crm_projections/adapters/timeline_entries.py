"""Timeline entries: how an event is kept in the timeline, and how a reader gets it back.

Entries keep the event's data as it travelled (personal fields sealed under the customer's
key), so an erasure makes them unreadable here too, without rewriting the audit trail.
"""

from __future__ import annotations

from typing import Any

from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.domain.events import as_current

from crm_projections.domain.wire_values import instant

Document = dict[str, Any]


def entry(envelope: EventEnvelope) -> Document:
    return {
        "_id": str(envelope.event_id),
        "customer_id": envelope.customer_id,
        "type": envelope.type,
        "context": envelope.context,
        "source": envelope.source,
        "stream_id": envelope.stream_id,
        "stream_version": envelope.stream_version,
        "occurred_at": instant(envelope.occurred_at),
        "recorded_at": instant(envelope.recorded_at),
        "actor": envelope.actor,
        "correlation_id": envelope.correlation_id,
        "causation_id": envelope.causation_id,
        # As the contract reads it now: an early event's free text that named personal data
        # becomes its code (e.g. a duplicate's reason), here and in every entry read back.
        "data": as_current(envelope.type, envelope.data),
    }


def envelope_of(doc: Document) -> EventEnvelope:
    envelope = EventEnvelope.model_validate(
        {**{k: v for k, v in doc.items() if k not in {"_id", "context"}}, "event_id": doc["_id"]}
    )
    data = as_current(envelope.type, envelope.data)
    return envelope if data is envelope.data else envelope.model_copy(update={"data": data})


def position(doc: Document) -> tuple[str, str]:
    """Where the entry stands in a page: (occurred_at, event id)."""
    return doc["occurred_at"], doc["_id"]


def public_entry(envelope: EventEnvelope) -> Document:
    """What a reader gets: the entry with its id as `event_id`."""
    stored = entry(envelope)
    return {"event_id": stored.pop("_id"), **stored}
