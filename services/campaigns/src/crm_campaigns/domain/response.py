"""A customer's responses to one campaign: commands, state, one decision per command, evolve.

One stream per (campaign, customer) keeps a busy campaign from becoming a
single hot stream that every response would contend on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from crm_campaigns_contracts.events import CampaignResponseRecorded, Channel, ResponseKind
from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.events import DomainEvent
from pydantic import BaseModel, ConfigDict


def stream_of(campaign_id: str, customer_id: str) -> str:
    return f"campaign-{campaign_id}-customer-{customer_id}"


class RecordResponse(BaseModel):
    model_config = ConfigDict(frozen=True)

    campaign_id: str
    customer_id: str
    response: ResponseKind
    channel: Channel
    responded_at: datetime


ResponseCommand = RecordResponse


@dataclass(frozen=True)
class Responses:
    seen: frozenset[tuple[ResponseKind, datetime]] = field(default_factory=frozenset)


decide: Decisions[Responses, ResponseCommand] = Decisions()


@decide.on(RecordResponse)
def record(state: Responses, command: RecordResponse) -> list[DomainEvent]:
    if (command.response, command.responded_at) in state.seen:
        return []  # the same response reported twice: already recorded
    return [CampaignResponseRecorded(**command.model_dump())]


def evolve(state: Responses, event: DomainEvent) -> Responses:
    if isinstance(event, CampaignResponseRecorded):
        return Responses(seen=state.seen | {(event.response, event.responded_at)})
    return state


response_decider: Decider[Responses, ResponseCommand] = Decider(
    initial_state=Responses, decide=decide, evolve=evolve
)
