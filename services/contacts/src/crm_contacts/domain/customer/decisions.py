"""One decision per customer command: each judges the state (and the facts a command carries)
and returns the events, or raises a domain error. Pure."""

from __future__ import annotations

import re

from crm_contacts_contracts.events import (
    AcquisitionChannelRecorded,
    ConsentGiven,
    ConsentPurpose,
    ConsentWithdrawn,
    ContactPointAdded,
    ContactPointKind,
    ContactPointRemoved,
    ContactPointVerified,
    CustomerAbsorbed,
    CustomerErased,
    CustomerMerged,
    CustomerRegistered,
    CustomerRenamed,
    FamilyNoteRecorded,
    InterestAdded,
    LeadAttached,
    Lifecycle,
    LifecycleChanged,
    LinkedToOrganisation,
    LinkToOrganisationEnded,
    OwnerAssigned,
    PartyKind,
    PersonalDateRecorded,
    PossibleDuplicateFound,
    PreferredChannelSet,
    PrimaryContactPointSet,
    TagAdded,
    TagRemoved,
)
from crm_kernel.domain.decider import Decisions
from crm_kernel.domain.errors import ConflictError, DomainError, GoneError, NotFoundError
from crm_kernel.domain.events import DomainEvent
from crm_kernel.text import collapse_spaces

from crm_contacts.domain.contact_points import normalise, phone_kind
from crm_contacts.domain.customer.commands import (
    Absorb,
    AddContactPoint,
    AddInterest,
    AddTag,
    AssignOwner,
    AttachLead,
    ChangeLifecycle,
    Command,
    EndLinkToOrganisation,
    EraseCustomer,
    GiveConsent,
    LinkToOrganisation,
    MergeInto,
    RecordAcquisitionChannel,
    RecordFamilyNote,
    RecordPersonalDate,
    RecordPossibleDuplicates,
    RegisterCustomer,
    RemoveContactPoint,
    RemoveTag,
    RenameCustomer,
    SetPreferredChannel,
    SetPrimaryContactPoint,
    VerifyContactPoint,
    WithdrawConsent,
)
from crm_contacts.domain.customer.limits import (
    MAX_FAMILY_NOTES,
    MAX_INTERESTS,
    MAX_PERSONAL_DATES,
    MAX_TAGS,
    room_for_point,
    within,
)
from crm_contacts.domain.customer.state import Customer, Point, consent_of, may_contact

decide: Decisions[Customer, Command] = Decisions()

# Which lifecycle moves are allowed; back to active from inactive or closed is a reactivation.
TRANSITIONS: dict[Lifecycle, set[Lifecycle]] = {
    Lifecycle.PROSPECT: {Lifecycle.ACTIVE, Lifecycle.CLOSED},
    Lifecycle.ACTIVE: {Lifecycle.INACTIVE, Lifecycle.CLOSED},
    Lifecycle.INACTIVE: {Lifecycle.ACTIVE, Lifecycle.CLOSED},
    Lifecycle.CLOSED: {Lifecycle.ACTIVE},
}
PERSONAL_DATE = re.compile(r"^(\d{4}|-)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


def live(state: Customer, command: Command) -> None:
    """The guard of every command but registration: the customer exists, is not erased and
    was not merged away."""
    if not state.registered:
        raise NotFoundError(f"unknown customer {command.customer_id}")
    if state.erased:
        raise GoneError(f"customer {command.customer_id} was erased")
    if state.merged_into is not None:
        raise GoneError(
            f"customer {command.customer_id} was merged into {state.merged_into}: use that id"
        )


def clean_name(name: str) -> str:
    """A customer's name as stored: white space collapsed, never blank."""
    clean = collapse_spaces(name)
    if not clean:
        raise DomainError("name must not be blank", field="name")
    return clean


def _normalised(kind: ContactPointKind, value: str, field: str = "value") -> str:
    try:
        return normalise(kind, value)
    except ValueError as error:
        raise DomainError(str(error), field=field) from None


def _point(state: Customer, command: Command, point_id: str) -> Point:
    point = state.points.get(point_id)
    if point is None:
        raise NotFoundError(f"customer {command.customer_id} has no contact point {point_id}")
    return point


def _add_point(state: Customer, command: AddContactPoint) -> list[DomainEvent]:
    cid, pid, kind = command.customer_id, command.point_id, command.kind
    normal = _normalised(kind, command.value)
    if any(p.kind == kind and p.value == normal for p in state.points.values()):
        raise ConflictError(f"customer {cid} already has the {kind} {normal}")
    if pid in state.points:
        raise ConflictError(f"contact point {pid} exists already")
    room_for_point(state, kind)
    events: list[DomainEvent] = [
        ContactPointAdded(
            customer_id=cid, point_id=pid, kind=kind, value=normal, label=command.label
        )
    ]
    first_of_kind = not any(p.kind == kind for p in state.points.values())
    if command.primary or first_of_kind:
        events.append(PrimaryContactPointSet(customer_id=cid, point_id=pid, kind=kind))
    return events


@decide.on(RegisterCustomer)
def register(state: Customer, command: RegisterCustomer) -> list[DomainEvent]:
    cid = command.customer_id
    if state.registered:
        raise ConflictError(f"customer {cid} is already registered")
    events: list[DomainEvent] = [
        CustomerRegistered(
            customer_id=cid,
            kind=command.kind,
            customer_type=command.customer_type,
            name=clean_name(command.name),
            acquisition_channel=command.acquisition_channel,
            owner=command.owner,
        )
    ]
    registered = Customer(registered=True, kind=command.kind)
    if command.email:
        email = AddContactPoint(
            customer_id=cid,
            point_id="registration-email",
            kind=ContactPointKind.EMAIL,
            value=command.email,
            primary=True,
        )
        try:
            events += _add_point(registered, email)
        except DomainError as error:
            raise DomainError(error.message, field="email") from None
    if command.phone:
        try:
            kind = phone_kind(command.phone)
        except ValueError as error:
            raise DomainError(str(error), field="phone") from None
        phone = AddContactPoint(
            customer_id=cid,
            point_id="registration-phone",
            kind=kind,
            value=command.phone,
            primary=True,
        )
        events += _add_point(registered, phone)
    return events


@decide.on(RenameCustomer, guard=live)
def rename(state: Customer, command: RenameCustomer) -> list[DomainEvent]:
    return [CustomerRenamed(customer_id=command.customer_id, name=clean_name(command.name))]


@decide.on(AddContactPoint, guard=live)
def add_contact_point(state: Customer, command: AddContactPoint) -> list[DomainEvent]:
    return _add_point(state, command)


@decide.on(VerifyContactPoint, guard=live)
def verify_contact_point(state: Customer, command: VerifyContactPoint) -> list[DomainEvent]:
    if _point(state, command, command.point_id).verified:
        return []
    return [ContactPointVerified(customer_id=command.customer_id, point_id=command.point_id)]


@decide.on(SetPrimaryContactPoint, guard=live)
def set_primary(state: Customer, command: SetPrimaryContactPoint) -> list[DomainEvent]:
    point = _point(state, command, command.point_id)
    if point.primary:
        return []
    return [
        PrimaryContactPointSet(
            customer_id=command.customer_id, point_id=command.point_id, kind=point.kind
        )
    ]


@decide.on(RemoveContactPoint, guard=live)
def remove_contact_point(state: Customer, command: RemoveContactPoint) -> list[DomainEvent]:
    _point(state, command, command.point_id)
    return [ContactPointRemoved(customer_id=command.customer_id, point_id=command.point_id)]


@decide.on(SetPreferredChannel, guard=live)
def set_preferred_channel(state: Customer, command: SetPreferredChannel) -> list[DomainEvent]:
    if not may_contact(state, command.channel, ConsentPurpose.SERVICE):
        raise DomainError(
            f"the customer opted out of contact by {command.channel}", field="channel"
        )
    return [PreferredChannelSet(customer_id=command.customer_id, channel=command.channel)]


@decide.on(AssignOwner, guard=live)
def assign_owner(state: Customer, command: AssignOwner) -> list[DomainEvent]:
    if command.owner == state.owner:
        return []
    return [OwnerAssigned(customer_id=command.customer_id, owner=command.owner)]


@decide.on(RecordAcquisitionChannel, guard=live)
def record_acquisition(state: Customer, command: RecordAcquisitionChannel) -> list[DomainEvent]:
    return [
        AcquisitionChannelRecorded(
            customer_id=command.customer_id, channel=command.channel, detail=command.detail
        )
    ]


@decide.on(RecordPersonalDate, guard=live)
def record_personal_date(state: Customer, command: RecordPersonalDate) -> list[DomainEvent]:
    if not PERSONAL_DATE.match(command.date):
        raise DomainError("date must be YYYY-MM-DD, or --MM-DD without a year", field="date")
    within(state.personal_dates, MAX_PERSONAL_DATES, "personal dates", "date")
    return [
        PersonalDateRecorded(
            customer_id=command.customer_id,
            kind=command.kind,
            date=command.date,
            label=command.label,
        )
    ]


@decide.on(RecordFamilyNote, guard=live)
def record_family_note(state: Customer, command: RecordFamilyNote) -> list[DomainEvent]:
    within(state.family_notes, MAX_FAMILY_NOTES, "family notes", "note")
    return [FamilyNoteRecorded(customer_id=command.customer_id, note=command.note.strip())]


@decide.on(AddInterest, guard=live)
def add_interest(state: Customer, command: AddInterest) -> list[DomainEvent]:
    within(state.interests, MAX_INTERESTS, "interests", "value")
    return [
        InterestAdded(
            customer_id=command.customer_id, kind=command.kind, value=command.value.strip()
        )
    ]


@decide.on(AddTag, guard=live)
def add_tag(state: Customer, command: AddTag) -> list[DomainEvent]:
    if command.tag in state.tags:
        return []
    within(len(state.tags), MAX_TAGS, "tags", "tag")
    return [TagAdded(customer_id=command.customer_id, tag=command.tag)]


@decide.on(RemoveTag, guard=live)
def remove_tag(state: Customer, command: RemoveTag) -> list[DomainEvent]:
    if command.tag not in state.tags:
        return []
    return [TagRemoved(customer_id=command.customer_id, tag=command.tag)]


@decide.on(LinkToOrganisation, guard=live)
def link_to_organisation(state: Customer, command: LinkToOrganisation) -> list[DomainEvent]:
    cid, org, facts = command.customer_id, command.organisation_id, command.organisation
    if org == cid:
        raise DomainError("a customer cannot be linked to itself", field="organisation_id")
    if state.kind is not PartyKind.PERSON:
        raise DomainError("only persons are linked to organisations", field="customer_id")
    if not facts.registered:
        raise NotFoundError(f"unknown organisation {org}")
    if not facts.is_organisation or facts.erased_or_merged:
        raise DomainError(f"{org} is not an organisation one can link to", field="organisation_id")
    return [LinkedToOrganisation(customer_id=cid, organisation_id=org, role=command.role)]


@decide.on(EndLinkToOrganisation, guard=live)
def end_link(state: Customer, command: EndLinkToOrganisation) -> list[DomainEvent]:
    cid, org = command.customer_id, command.organisation_id
    if org not in state.organisations:
        raise NotFoundError(f"customer {cid} is not linked to organisation {org}")
    return [LinkToOrganisationEnded(customer_id=cid, organisation_id=org)]


@decide.on(ChangeLifecycle, guard=live)
def change_lifecycle(state: Customer, command: ChangeLifecycle) -> list[DomainEvent]:
    target = command.lifecycle
    if target == state.lifecycle:
        return []
    if target not in TRANSITIONS[state.lifecycle]:
        raise DomainError(f"a {state.lifecycle} customer cannot become {target}", field="lifecycle")
    return [
        LifecycleChanged(
            customer_id=command.customer_id,
            previous=state.lifecycle,
            lifecycle=target,
            reason=command.reason,
        )
    ]


@decide.on(GiveConsent, guard=live)
def give_consent(state: Customer, command: GiveConsent) -> list[DomainEvent]:
    if consent_of(state, command.channel, command.purpose) is True:
        return []
    return [
        ConsentGiven(
            customer_id=command.customer_id,
            channel=command.channel,
            purpose=command.purpose,
            source=command.source,
            given_at=command.at,
        )
    ]


@decide.on(WithdrawConsent, guard=live)
def withdraw_consent(state: Customer, command: WithdrawConsent) -> list[DomainEvent]:
    if consent_of(state, command.channel, command.purpose) is False:
        return []
    return [
        ConsentWithdrawn(
            customer_id=command.customer_id,
            channel=command.channel,
            purpose=command.purpose,
            source=command.source,
            withdrawn_at=command.at,
        )
    ]


@decide.on(RecordPossibleDuplicates, guard=live)
def record_duplicates(state: Customer, command: RecordPossibleDuplicates) -> list[DomainEvent]:
    cid = command.customer_id
    return [
        PossibleDuplicateFound(customer_id=cid, other_customer_id=other, reason=reason)
        for other, reason in command.found
        if other not in state.duplicates and other != cid
    ]


@decide.on(MergeInto, guard=live)
def merge_into(state: Customer, command: MergeInto) -> list[DomainEvent]:
    cid, survivor = command.customer_id, command.survivor_id
    if survivor == cid:
        raise DomainError("a customer cannot be merged into itself", field="survivor_id")
    if not command.survivor_registered:
        raise NotFoundError(f"unknown customer {survivor}")
    if command.survivor_gone:
        raise GoneError(f"customer {survivor} was erased or merged: pick its survivor")
    return [CustomerMerged(customer_id=cid, survivor_id=survivor)]


@decide.on(Absorb, guard=live)
def absorb(state: Customer, command: Absorb) -> list[DomainEvent]:
    return [CustomerAbsorbed(customer_id=command.customer_id, merged_id=command.merged_id)]


@decide.on(AttachLead, guard=live)
def attach_lead(state: Customer, command: AttachLead) -> list[DomainEvent]:
    if command.prospect_id in state.prospects:
        return []  # attached already: a redelivered conversion
    return [
        LeadAttached(
            customer_id=command.customer_id,
            lead_id=command.lead_id,
            prospect_id=command.prospect_id,
        )
    ]


@decide.on(EraseCustomer)
def erase(state: Customer, command: EraseCustomer) -> list[DomainEvent]:
    cid = command.customer_id
    if command.survivor_id is None:
        live(state, command)
        return [
            CustomerErased(
                customer_id=cid, requested_by=command.requested_by, reason=command.reason
            )
        ]
    # A merged customer is erased only with the customer it was merged into (ADR 14).
    if not state.registered:
        raise NotFoundError(f"unknown customer {cid}")
    if state.erased:
        raise GoneError(f"customer {cid} was erased")
    return [
        CustomerErased(
            customer_id=cid,
            requested_by=command.requested_by,
            reason=command.reason,
            survivor_id=command.survivor_id,
        )
    ]
