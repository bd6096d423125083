"""Events of the campaigns context."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from crm_kernel.domain.events import DomainEvent


class ResponseKind(StrEnum):
    OPENED = "opened"
    CLICKED = "clicked"
    REPLIED = "replied"
    CONVERTED = "converted"
    UNSUBSCRIBED = "unsubscribed"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    WHATSAPP = "whatsapp"
    POST = "post"
    SOCIAL = "social"
    WEB = "web"


class CampaignResponseRecorded(DomainEvent):
    """A customer responded to a campaign (opened, clicked, replied, converted, unsubscribed)."""

    event_type = "crm.campaigns.CampaignResponseRecorded.v1"

    campaign_id: str
    customer_id: str
    response: ResponseKind
    channel: Channel
    responded_at: datetime
