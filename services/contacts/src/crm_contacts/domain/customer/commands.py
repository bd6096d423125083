"""What can be asked of a customer's stream: one command per intent."""

from __future__ import annotations

from datetime import datetime

from crm_contacts_contracts.events import (
    AcquisitionChannel,
    ConsentChannel,
    ConsentPurpose,
    ContactPointKind,
    CustomerType,
    DuplicateReason,
    InterestKind,
    Lifecycle,
    PartyKind,
    PersonalDateKind,
)
from pydantic import BaseModel, ConfigDict


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)

    customer_id: str


class RegisterCustomer(Command):
    kind: PartyKind
    customer_type: CustomerType
    name: str
    email: str | None = None
    phone: str | None = None
    acquisition_channel: AcquisitionChannel | None = None
    owner: str | None = None


class RenameCustomer(Command):
    name: str


class AddContactPoint(Command):
    point_id: str
    kind: ContactPointKind
    value: str
    label: str | None = None
    primary: bool = False


class VerifyContactPoint(Command):
    point_id: str


class SetPrimaryContactPoint(Command):
    point_id: str


class RemoveContactPoint(Command):
    point_id: str


class SetPreferredChannel(Command):
    channel: ConsentChannel


class AssignOwner(Command):
    owner: str


class RecordAcquisitionChannel(Command):
    channel: AcquisitionChannel
    detail: str | None = None


class RecordPersonalDate(Command):
    kind: PersonalDateKind
    date: str
    label: str | None = None


class RecordFamilyNote(Command):
    note: str


class AddInterest(Command):
    kind: InterestKind
    value: str


class AddTag(Command):
    tag: str


class RemoveTag(Command):
    tag: str


class OrganisationFacts(BaseModel):
    """What the application layer read about the organisation, for the decider to judge."""

    model_config = ConfigDict(frozen=True)

    registered: bool
    is_organisation: bool
    erased_or_merged: bool


class LinkToOrganisation(Command):
    organisation_id: str
    role: str
    organisation: OrganisationFacts


class EndLinkToOrganisation(Command):
    organisation_id: str


class ChangeLifecycle(Command):
    lifecycle: Lifecycle
    reason: str | None = None


class GiveConsent(Command):
    channel: ConsentChannel
    purpose: ConsentPurpose
    source: str
    at: datetime


class WithdrawConsent(Command):
    channel: ConsentChannel
    purpose: ConsentPurpose
    source: str
    at: datetime


class RecordPossibleDuplicates(Command):
    found: tuple[tuple[str, DuplicateReason], ...]  # (other customer id, reason code)


class MergeInto(Command):
    """Fold this customer into `survivor_id`."""

    survivor_id: str
    survivor_registered: bool
    survivor_gone: bool


class Absorb(Command):
    merged_id: str


class AttachLead(Command):
    """Record that a converted lead is this customer (the conversion names it)."""

    lead_id: str
    prospect_id: str


class EraseCustomer(Command):
    requested_by: str
    reason: str
    # Set when erasing a customer merged into `survivor_id`, as part of erasing that one.
    survivor_id: str | None = None
