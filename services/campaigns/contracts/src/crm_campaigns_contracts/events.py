"""Events of the campaigns context."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from crm_kernel.domain.events import DomainEvent
from pydantic import BaseModel, ConfigDict, Field


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
    EVENT = "event"
    PRINT = "print"
    RADIO_TV = "radio_tv"


# The consent channel (contacts' ConsentChannel values) a campaign channel needs a marketing
# opt-in on; None: a channel with no individual deliveries (an ad in print, on the radio), so
# no one is contacted and no consent applies. One table for every check (ADR 52).
CONSENT_CHANNEL: dict[Channel, str | None] = {
    Channel.EMAIL: "email",
    Channel.SMS: "sms",
    Channel.PHONE: "phone",
    Channel.WHATSAPP: "whatsapp",
    Channel.POST: "post",
    Channel.SOCIAL: None,
    Channel.WEB: None,
    Channel.EVENT: None,
    Channel.PRINT: None,
    Channel.RADIO_TV: None,
}


class CampaignResponseRecorded(DomainEvent):
    """A customer responded to a campaign (opened, clicked, replied, converted, unsubscribed)."""

    event_type = "crm.campaigns.CampaignResponseRecorded.v1"

    campaign_id: str
    customer_id: str
    response: ResponseKind
    channel: Channel
    responded_at: datetime


# --- campaigns (issue 15, ADR 52) --------------------------------------------------------------
MAX_MONEY = Decimal("1000000000000")
Money = Annotated[Decimal, Field(ge=0, le=MAX_MONEY, decimal_places=2, max_digits=15)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
NAME = Field(min_length=1, max_length=200)
CampaignName = Annotated[str, NAME]
HANDLE = Field(min_length=1, max_length=100)
Handle = Annotated[str, HANDLE]
Ids = Annotated[tuple[str, ...], Field(max_length=10_000)]
MAX_CHUNK = 1_000  # members per audience event: a large audience stays within Kafka's limits


class CampaignStatus(StrEnum):
    PLANNING = "planning"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETE = "complete"
    CANCELLED = "cancelled"


class AudienceRules(BaseModel):
    """Who a campaign is for: every rule given must hold (a list: any of its values); none
    given: every customer. Explicit include and exclude lists go beside the rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    customer_types: tuple[Handle, ...] | None = Field(default=None, max_length=20)
    lifecycles: tuple[Handle, ...] | None = Field(default=None, max_length=20)
    tags: tuple[Handle, ...] | None = Field(default=None, max_length=50)
    owners: tuple[Handle, ...] | None = Field(default=None, max_length=200)
    acquisition_channels: tuple[Handle, ...] | None = Field(default=None, max_length=20)
    bought: tuple[Handle, ...] | None = Field(
        default=None, max_length=200, description="Bought any of these products (SKUs)"
    )
    purchased_within_days: Annotated[int, Field(ge=1, le=36_600)] | None = Field(
        default=None, description="Last purchase at most this many days before the launch"
    )
    no_purchase_for_days: Annotated[int, Field(ge=1, le=36_600)] | None = Field(
        default=None, description="No purchase for at least this many days before the launch"
    )


class CampaignCreated(DomainEvent):
    """A campaign in planning: its channel, schedule, objective, budget and the revenue it is
    expected to bring. Its name and objective are the business's words, no customer's."""

    event_type = "crm.campaigns.CampaignCreated.v1"

    campaign_id: str
    name: CampaignName
    channel: Channel
    objective: Annotated[str, Field(max_length=2_000)] | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    currency: Currency
    budget: Money
    expected_revenue: Money | None = None


class CampaignAudienceDefined(DomainEvent):
    """Who the campaign is for: its rules, and the customers included and excluded by name."""

    event_type = "crm.campaigns.CampaignAudienceDefined.v1"

    campaign_id: str
    rules: AudienceRules
    include: Ids = ()
    exclude: Ids = ()


class Exclusion(BaseModel):
    """A customer the audience left out, and why (a code: `excluded`, `suppressed`,
    `no_consent`, `erased`, `merged`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    customer_id: str
    reason: Handle


class CampaignLaunched(DomainEvent):
    """The campaign went live: its audience was resolved into `members` customers (listed in
    the `CampaignAudienceResolved` chunks that follow) and `excluded` left out."""

    event_type = "crm.campaigns.CampaignLaunched.v1"

    campaign_id: str
    members: Annotated[int, Field(ge=0)]
    excluded: Annotated[int, Field(ge=0)]
    chunks: Annotated[int, Field(ge=0)]
    resolved_at: datetime


class CampaignAudienceResolved(DomainEvent):
    """Chunk `chunk` (from 1) of the launched audience: at most MAX_CHUNK members and
    exclusions, so the audience can be audited later."""

    event_type = "crm.campaigns.CampaignAudienceResolved.v1"

    campaign_id: str
    chunk: Annotated[int, Field(ge=1)]
    members: Annotated[tuple[str, ...], Field(max_length=MAX_CHUNK)] = ()
    excluded: Annotated[tuple[Exclusion, ...], Field(max_length=MAX_CHUNK)] = ()


class CampaignStep(DomainEvent):
    """What every status step of a campaign carries."""

    campaign_id: str


class CampaignPaused(CampaignStep):
    """The campaign stopped going out for now (no deliveries until resumed)."""

    event_type = "crm.campaigns.CampaignPaused.v1"


class CampaignResumed(CampaignStep):
    """A paused campaign is active again."""

    event_type = "crm.campaigns.CampaignResumed.v1"


class CampaignCompleted(CampaignStep):
    """The campaign ran its course: for good."""

    event_type = "crm.campaigns.CampaignCompleted.v1"


class CampaignCancelled(CampaignStep):
    """The campaign was called off: for good."""

    event_type = "crm.campaigns.CampaignCancelled.v1"


class CostCategory(StrEnum):
    MEDIA = "media"  # ad space, airtime, paid placement
    PRODUCTION = "production"  # design, print, video
    AGENCY = "agency"
    PLATFORM = "platform"  # the e-mail or SMS platform's fees
    EVENT = "event"  # venue, stands, catering
    OTHER = "other"


class CampaignCostRecorded(DomainEvent):
    """An actual cost of the campaign, recorded as it was incurred, in the campaign's
    currency."""

    event_type = "crm.campaigns.CampaignCostRecorded.v1"

    campaign_id: str
    cost_id: str
    amount: Money
    currency: Currency
    category: CostCategory
    description: Annotated[str, Field(max_length=500)] | None = None
    incurred_on: date


class CustomerSuppressed(DomainEvent):
    """The customer is on the global suppression list: no campaign includes them."""

    event_type = "crm.campaigns.CustomerSuppressed.v1"

    customer_id: str


class CustomerUnsuppressed(DomainEvent):
    """The customer is off the global suppression list: consent decides again."""

    event_type = "crm.campaigns.CustomerUnsuppressed.v1"

    customer_id: str
