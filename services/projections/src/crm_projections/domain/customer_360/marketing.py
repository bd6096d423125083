"""The marketing section: campaign responses, the campaigns answered, conversions and
unsubscribes."""

from __future__ import annotations

from typing import Any

from crm_campaigns_contracts.events import CampaignResponseRecorded, ResponseKind
from crm_kernel.domain.envelope import EventEnvelope

from crm_projections.domain.customer_360.lists import add_unique, unite, upsert
from crm_projections.domain.customer_360.section import Section
from crm_projections.domain.folds import Folds
from crm_projections.domain.wire_values import json_time

Document = dict[str, Any]
FOLDS = Folds()


def blank() -> Document:
    return {"marketing": {"responses": [], "campaigns": [], "conversions": 0, "unsubscribes": 0}}


@FOLDS.on(CampaignResponseRecorded)
def _response(doc: Document, event: CampaignResponseRecorded, envelope: EventEnvelope) -> None:
    marketing = doc["marketing"]
    response = {
        "id": str(envelope.event_id),
        "campaign_id": event.campaign_id,
        "response": event.response.value,
        "channel": event.channel.value,
        "responded_at": json_time(event.responded_at),
    }
    marketing["responses"] = upsert(marketing["responses"], response, "responded_at", "id")
    marketing["campaigns"] = add_unique(marketing["campaigns"], event.campaign_id)
    if event.response == ResponseKind.CONVERTED:
        marketing["conversions"] += 1
    if event.response == ResponseKind.UNSUBSCRIBED:
        marketing["unsubscribes"] += 1


def absorb(survivor: Document, merged: Document) -> None:
    mine, theirs = survivor["marketing"], merged["marketing"]
    mine["responses"] = unite(mine["responses"], theirs["responses"], "responded_at", "id")
    mine["campaigns"] = sorted({*mine["campaigns"], *theirs["campaigns"]})
    mine["conversions"] += theirs["conversions"]
    mine["unsubscribes"] += theirs["unsubscribes"]


SECTION = Section(blank=blank, folds=FOLDS, absorb=absorb)
