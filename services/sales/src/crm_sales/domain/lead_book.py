"""What the lead book learns from one lead event: who owns the lead and whether it is open
(ADR 32). Only the fields an event says change; a closed lead no longer counts against its
owner's cap."""

from __future__ import annotations

from typing import Any

from crm_kernel.domain.envelope import EventEnvelope
from crm_sales_contracts.events import (
    LeadAssigned,
    LeadCaptured,
    LeadConverted,
    LeadDisqualified,
    LeadErased,
    LeadRecycled,
)

Entry = dict[str, Any]
CLOSING = {e.event_type for e in (LeadDisqualified, LeadConverted, LeadErased)}


def entry_of(envelope: EventEnvelope) -> tuple[str, Entry] | None:
    """(lead id, the fields it sets) for an event that changes the book; None otherwise."""
    data = envelope.data
    if envelope.type == LeadCaptured.event_type:
        return data["lead_id"], {"owner": data.get("owner"), "open": True}
    if envelope.type == LeadAssigned.event_type:
        return data["lead_id"], {"owner": data["owner"]}
    if envelope.type == LeadRecycled.event_type:
        return data["lead_id"], {"open": True}
    if envelope.type in CLOSING:
        return data["lead_id"], {"open": False}
    return None
