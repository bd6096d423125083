"""Events of the contacts context: who the customer is, how to reach them, what they allow,
and every touchpoint with them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from crm_kernel.domain.events import DomainEvent, OptionalPersonalStr, PersonalStr
from pydantic import Field, field_validator


class PartyKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class CustomerType(StrEnum):
    CONSUMER = "consumer"
    BUSINESS = "business"
    DISTRIBUTOR = "distributor"
    FRANCHISEE = "franchisee"
    INTERNAL = "internal"


class AcquisitionChannel(StrEnum):
    WEB_SEARCH = "web_search"
    SOCIAL_MEDIA = "social_media"
    NEWSPAPER_AD = "newspaper_ad"
    OTHER_AD = "other_ad"
    WORD_OF_MOUTH = "word_of_mouth"
    REFERRAL = "referral"
    EVENT = "event"
    OTHER = "other"


class Lifecycle(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    INACTIVE = "inactive"
    CLOSED = "closed"


class ContactPointKind(StrEnum):
    EMAIL = "email"
    LANDLINE = "landline"
    MOBILE = "mobile"
    POSTAL = "postal"
    WEBSITE = "website"
    FACEBOOK = "facebook"
    LINKEDIN = "linkedin"
    WHATSAPP = "whatsapp"
    OTHER_SOCIAL = "other_social"


# Every kind of phone number, and the kinds whose value is a web address: one family each for
# normalising, limits, duplicate matching and search, on the write side and the read side.
PHONE_KINDS = frozenset(
    {ContactPointKind.LANDLINE, ContactPointKind.MOBILE, ContactPointKind.WHATSAPP}
)
WEB_KINDS = frozenset(
    {ContactPointKind.WEBSITE, ContactPointKind.FACEBOOK, ContactPointKind.LINKEDIN}
)


def lookup_kind(kind: ContactPointKind) -> str | None:
    """Which duplicate lookup a point's value goes to: e-mails match e-mails, every kind of
    phone number matches every other; other kinds are not matched. Here, beside the kinds, for
    contacts' lookup and for sales', which learns customers' points from these events (ADR 28)."""
    if kind is ContactPointKind.EMAIL:
        return "email"
    return "phone" if kind in PHONE_KINDS else None


class ConsentChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    WHATSAPP = "whatsapp"
    POST = "post"


class ConsentPurpose(StrEnum):
    MARKETING = "marketing"
    SERVICE = "service"


def may_contact(purpose: ConsentPurpose, given: bool | None) -> bool:
    """Marketing needs an explicit opt-in; service contact is allowed unless opted out.
    `given`: the customer's last word for the channel and purpose (True: opted in, False:
    opted out, None: never said)."""
    if purpose is ConsentPurpose.MARKETING:
        return given is True
    return given is not False


# How long a call or meeting took: up to a day. Declared once for the request, the command and
# the event.
MAX_DURATION_S = 86_400
DurationSeconds = Annotated[int, Field(ge=0, le=MAX_DURATION_S)]


class InteractionChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PHONE_CALL = "phone_call"
    WHATSAPP = "whatsapp"
    MEETING = "meeting"
    CHAT = "chat"
    SOCIAL = "social"
    IN_PLATFORM = "in_platform"
    LETTER = "letter"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class ActivityKind(StrEnum):
    CALL = "call"
    MEETING = "meeting"
    FOLLOW_UP = "follow_up"


class PersonalDateKind(StrEnum):
    BIRTHDAY = "birthday"
    ANNIVERSARY = "anniversary"
    OTHER = "other"


class InterestKind(StrEnum):
    HOBBY = "hobby"
    MEMBERSHIP = "membership"


class CustomerRegistered(DomainEvent):
    """A person or organisation became known to us as a customer (or prospect). Contact points
    come as ContactPointAdded events; `email` and `phone` are only set by early v1 producers."""

    event_type = "crm.contacts.CustomerRegistered.v1"

    customer_id: str
    kind: PartyKind
    customer_type: CustomerType
    name: PersonalStr
    email: OptionalPersonalStr = None
    phone: OptionalPersonalStr = None
    acquisition_channel: AcquisitionChannel | None = None
    owner: str | None = None


class CustomerRenamed(DomainEvent):
    """The customer's name was corrected or changed."""

    event_type = "crm.contacts.CustomerRenamed.v1"

    customer_id: str
    name: PersonalStr


class ContactPointAdded(DomainEvent):
    """A way to reach the customer, normalised (e-mail lower-cased, phones in E.164)."""

    event_type = "crm.contacts.ContactPointAdded.v1"

    customer_id: str
    point_id: str
    kind: ContactPointKind
    value: PersonalStr
    label: str | None = None


class ContactPointVerified(DomainEvent):
    """The customer confirmed the contact point is theirs."""

    event_type = "crm.contacts.ContactPointVerified.v1"

    customer_id: str
    point_id: str


class PrimaryContactPointSet(DomainEvent):
    """The contact point became the primary one of its kind."""

    event_type = "crm.contacts.PrimaryContactPointSet.v1"

    customer_id: str
    point_id: str
    kind: ContactPointKind


class ContactPointRemoved(DomainEvent):
    """The contact point no longer reaches the customer."""

    event_type = "crm.contacts.ContactPointRemoved.v1"

    customer_id: str
    point_id: str


class PreferredChannelSet(DomainEvent):
    """The channel the customer prefers to be contacted on."""

    event_type = "crm.contacts.PreferredChannelSet.v1"

    customer_id: str
    channel: ConsentChannel


class OwnerAssigned(DomainEvent):
    """The account manager responsible for the customer changed."""

    event_type = "crm.contacts.OwnerAssigned.v1"

    customer_id: str
    owner: str


class AcquisitionChannelRecorded(DomainEvent):
    """How the customer found us."""

    event_type = "crm.contacts.AcquisitionChannelRecorded.v1"

    customer_id: str
    channel: AcquisitionChannel
    detail: OptionalPersonalStr = None


class PersonalDateRecorded(DomainEvent):
    """A date worth remembering: birthday, anniversary. `date` is YYYY-MM-DD or --MM-DD."""

    event_type = "crm.contacts.PersonalDateRecorded.v1"

    customer_id: str
    kind: PersonalDateKind
    label: str | None = None
    date: PersonalStr


class FamilyNoteRecorded(DomainEvent):
    """A note about the customer's family, gathered over time."""

    event_type = "crm.contacts.FamilyNoteRecorded.v1"

    customer_id: str
    note: PersonalStr


class InterestAdded(DomainEvent):
    """A hobby, or a membership of a group or association."""

    event_type = "crm.contacts.InterestAdded.v1"

    customer_id: str
    kind: InterestKind
    value: PersonalStr


class TagAdded(DomainEvent):
    """A free tag was put on the customer."""

    event_type = "crm.contacts.TagAdded.v1"

    customer_id: str
    tag: str


class TagRemoved(DomainEvent):
    """A free tag was taken off the customer."""

    event_type = "crm.contacts.TagRemoved.v1"

    customer_id: str
    tag: str


class LinkedToOrganisation(DomainEvent):
    """A person became a contact of an organisation (B2B), with a role."""

    event_type = "crm.contacts.LinkedToOrganisation.v1"

    customer_id: str
    organisation_id: str
    role: str


class LinkToOrganisationEnded(DomainEvent):
    """A person is no longer a contact of the organisation."""

    event_type = "crm.contacts.LinkToOrganisationEnded.v1"

    customer_id: str
    organisation_id: str


class LifecycleChanged(DomainEvent):
    """The customer moved between prospect, active, inactive and closed (reactivation is a
    move from inactive or closed back to active)."""

    event_type = "crm.contacts.LifecycleChanged.v1"

    customer_id: str
    previous: Lifecycle
    lifecycle: Lifecycle
    reason: OptionalPersonalStr = None


class ConsentGiven(DomainEvent):
    """The customer opted in to contact on a channel for a purpose."""

    event_type = "crm.contacts.ConsentGiven.v1"

    customer_id: str
    channel: ConsentChannel
    purpose: ConsentPurpose
    source: str
    given_at: datetime


class ConsentWithdrawn(DomainEvent):
    """The customer opted out of contact on a channel for a purpose."""

    event_type = "crm.contacts.ConsentWithdrawn.v1"

    customer_id: str
    channel: ConsentChannel
    purpose: ConsentPurpose
    source: str
    withdrawn_at: datetime


class DuplicateReason(StrEnum):
    """Why two customers look alike: a code, never the matching value itself."""

    SAME_EMAIL = "same_email"
    SAME_PHONE = "same_phone"
    SIMILAR_NAME_IN_ORGANISATION = "similar_name_in_organisation"
    OTHER = "other"


# Early events carried free text that named the value ("same email ana@example.com").
_LEGACY_REASONS = (
    ("same email", DuplicateReason.SAME_EMAIL),
    ("same phone", DuplicateReason.SAME_PHONE),
    ("similar name", DuplicateReason.SIMILAR_NAME_IN_ORGANISATION),
)


def duplicate_reason(value: object) -> DuplicateReason:
    """The code for a reason as stored: a code stays, an early free-text reason becomes its
    code (the value it named is dropped), anything else is `other`."""
    text = str(value).strip()
    if text in {code.value for code in DuplicateReason}:
        return DuplicateReason(text)
    for prefix, code in _LEGACY_REASONS:
        if text.casefold().startswith(prefix):
            return code
    return DuplicateReason.OTHER


class PossibleDuplicateFound(DomainEvent):
    """Registration or a contact-point change found another customer that is likely the same.
    `reason` is a code; early events held free text naming the e-mail or phone, which reads
    as its code."""

    event_type = "crm.contacts.PossibleDuplicateFound.v1"
    normalise_on_read = True

    customer_id: str
    other_customer_id: str
    reason: DuplicateReason

    @field_validator("reason", mode="before")
    @classmethod
    def _code(cls, value: object) -> DuplicateReason:
        return duplicate_reason(value)


class CustomerMerged(DomainEvent):
    """This customer was folded into `survivor_id`: its history stays, its id redirects."""

    event_type = "crm.contacts.CustomerMerged.v1"

    customer_id: str
    survivor_id: str


class CustomerAbsorbed(DomainEvent):
    """Another customer was merged into this one."""

    event_type = "crm.contacts.CustomerAbsorbed.v1"

    customer_id: str
    merged_id: str


class LeadAttached(DomainEvent):
    """A lead sales converted turned out to be this customer. The lead's personal data stays
    sealed under the key of `prospect_id` (the id the lead would have had): erasing this
    customer shreds that key too (ADR 29)."""

    event_type = "crm.contacts.LeadAttached.v1"

    customer_id: str
    lead_id: str
    prospect_id: str


class CustomerErased(DomainEvent):
    """Right to be forgotten: the customer's data key is deleted, so every copy of their
    personal data is unreadable from now on."""

    event_type = "crm.contacts.CustomerErased.v1"

    customer_id: str
    requested_by: str
    reason: str
    survivor_id: str | None = Field(
        default=None,
        description="Set on each customer merged into the erased one: the survivor it was "
        "erased with (ADR 14)",
    )


class InteractionLogged(DomainEvent):
    """A contact with the customer through any channel."""

    event_type = "crm.contacts.InteractionLogged.v1"

    interaction_id: str
    customer_id: str
    channel: InteractionChannel
    direction: Direction
    purpose: ConsentPurpose = ConsentPurpose.SERVICE
    subject: OptionalPersonalStr = None
    summary: OptionalPersonalStr = None
    outcome: OptionalPersonalStr = None
    duration_s: DurationSeconds | None = None
    handled_by: str | None = None
    occurred_at: datetime
    answered_at: datetime | None = None
    source: str = "api"
    external_id: str | None = None


class InteractionAnswered(DomainEvent):
    """The customer answered an interaction (responsiveness is measured from this)."""

    event_type = "crm.contacts.InteractionAnswered.v1"

    interaction_id: str
    customer_id: str
    interaction_occurred_at: datetime
    answered_at: datetime


class ActivityScheduled(DomainEvent):
    """A call, meeting or follow-up was put in an owner's calendar."""

    event_type = "crm.contacts.ActivityScheduled.v1"

    activity_id: str
    customer_id: str
    owner: str
    kind: ActivityKind
    title: PersonalStr
    starts_at: datetime
    ends_at: datetime
    location: OptionalPersonalStr = None
    notes: OptionalPersonalStr = None


class ActivityCancelled(DomainEvent):
    """A scheduled activity will not take place."""

    event_type = "crm.contacts.ActivityCancelled.v1"

    activity_id: str
    customer_id: str
    reason: OptionalPersonalStr = None


class ActivityCompleted(DomainEvent):
    """A scheduled activity took place."""

    event_type = "crm.contacts.ActivityCompleted.v1"

    activity_id: str
    customer_id: str
    outcome: OptionalPersonalStr = None
