"""The campaign results read model (issue 15, ADR 52): one document per campaign with what
marketing steers by so far: status, budget and the actual cost against it, the audience's size
and who was left out and why (counts by reason, never the ids: an audience may be large).

A campaign's events are one stream, folded in version order; an event at or below the version
applied changes nothing, so redelivery is harmless and a rebuild equals live. Deliveries,
responses, attributed revenue and ROI join it as the rest of issue 15 lands.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from crm_campaigns_contracts.events import (
    CampaignAudienceResolved,
    CampaignCancelled,
    CampaignCompleted,
    CampaignCostRecorded,
    CampaignCreated,
    CampaignLaunched,
    CampaignPaused,
    CampaignResumed,
    CampaignStatus,
)
from crm_kernel.domain.envelope import EventEnvelope

from crm_projections.domain.wire_values import json_decimal, occurred

Document = dict[str, Any]
STATUS_AFTER = {
    CampaignLaunched.event_type: CampaignStatus.ACTIVE,
    CampaignPaused.event_type: CampaignStatus.PAUSED,
    CampaignResumed.event_type: CampaignStatus.ACTIVE,
    CampaignCompleted.event_type: CampaignStatus.COMPLETE,
    CampaignCancelled.event_type: CampaignStatus.CANCELLED,
}
EVENT_TYPES = frozenset(
    {
        CampaignCreated.event_type,
        CampaignCostRecorded.event_type,
        CampaignAudienceResolved.event_type,
        *STATUS_AFTER,
    }
)


def key(envelope: EventEnvelope) -> str | None:
    return str(envelope.data["campaign_id"]) if envelope.type in EVENT_TYPES else None


def empty(campaign_id: str) -> Document:
    return {
        "_id": campaign_id,
        "name": None,
        "channel": None,
        "status": None,
        "currency": None,
        "budget": None,
        "expected_revenue": None,
        "cost": "0",
        "budget_left": None,
        "launched_at": None,
        "audience": {"members": 0, "excluded": {}},
        "applied": {},
    }


def fold(document: Document, envelopes: Iterable[EventEnvelope]) -> Document:
    doc = {**document, "audience": {**document["audience"]}, "applied": {**document["applied"]}}
    for envelope in envelopes:
        if doc["applied"].get(envelope.stream_id, 0) >= envelope.stream_version:
            continue
        doc["applied"][envelope.stream_id] = envelope.stream_version
        _apply(doc, envelope)
    return doc


def _apply(doc: Document, envelope: EventEnvelope) -> None:
    event = envelope.event()
    match event:
        case CampaignCreated():
            doc.update(
                name=event.name, channel=event.channel.value, status=CampaignStatus.PLANNING.value,
                currency=event.currency, budget=json_decimal(event.budget),
                expected_revenue=None if event.expected_revenue is None
                else json_decimal(event.expected_revenue),
            )  # fmt: skip
        case CampaignCostRecorded():
            doc["cost"] = json_decimal(Decimal(doc["cost"]) + event.amount)
        case CampaignAudienceResolved():
            audience = doc["audience"]
            excluded = dict(audience["excluded"])
            for left_out in event.excluded:
                excluded[left_out.reason] = excluded.get(left_out.reason, 0) + 1
            doc["audience"] = {"members": audience["members"] + len(event.members),
                               "excluded": dict(sorted(excluded.items()))}  # fmt: skip
        case CampaignLaunched():
            doc["launched_at"] = occurred(envelope)
    if envelope.type in STATUS_AFTER:
        doc["status"] = STATUS_AFTER[envelope.type].value
    if doc["budget"] is not None:
        doc["budget_left"] = json_decimal(Decimal(doc["budget"]) - Decimal(doc["cost"]))
