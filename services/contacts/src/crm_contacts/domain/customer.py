"""The customer aggregate: commands, state and the pure decider."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from crm_contacts_contracts.events import (
    AcquisitionChannel,
    AcquisitionChannelRecorded,
    ConsentChannel,
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
    CustomerType,
    DuplicateReason,
    FamilyNoteRecorded,
    InterestAdded,
    InterestKind,
    Lifecycle,
    LifecycleChanged,
    LinkedToOrganisation,
    LinkToOrganisationEnded,
    OwnerAssigned,
    PartyKind,
    PersonalDateKind,
    PersonalDateRecorded,
    PossibleDuplicateFound,
    PreferredChannelSet,
    PrimaryContactPointSet,
    TagAdded,
    TagRemoved,
)
from crm_kernel.domain.decider import Decider
from crm_kernel.domain.errors import ConflictError, DomainError, GoneError, NotFoundError
from crm_kernel.domain.events import DomainEvent
from pydantic import BaseModel, ConfigDict

from crm_contacts.domain.contact_points import normalise, phone_kind


def stream_of(customer_id: str) -> str:
    return f"customer-{customer_id}"


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


class EraseCustomer(Command):
    requested_by: str
    reason: str
    # Set when erasing a customer merged into `survivor_id`, as part of erasing that one.
    survivor_id: str | None = None


@dataclass(frozen=True)
class Point:
    kind: ContactPointKind
    value: str
    verified: bool = False
    primary: bool = False


@dataclass(frozen=True)
class Customer:
    registered: bool = False
    kind: PartyKind | None = None
    name: str = ""
    lifecycle: Lifecycle = Lifecycle.PROSPECT
    points: Mapping[str, Point] = field(default_factory=dict)
    # Per channel, then purpose (not keyed by pairs: the state must survive JSON, ADR 20).
    consents: Mapping[ConsentChannel, Mapping[ConsentPurpose, bool]] = field(default_factory=dict)
    organisations: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    # How many of each the profile holds (the values live in the events and the 360 view).
    interests: int = 0
    personal_dates: int = 0
    family_notes: int = 0
    duplicates: frozenset[str] = frozenset()
    absorbed: frozenset[str] = frozenset()  # customers merged into this one
    owner: str | None = None
    merged_into: str | None = None
    erased: bool = False

    @property
    def gone(self) -> bool:
        return self.erased or self.merged_into is not None


def consent_of(state: Customer, channel: ConsentChannel, purpose: ConsentPurpose) -> bool | None:
    """True: opted in, False: opted out, None: never said."""
    return state.consents.get(channel, {}).get(purpose)


def _with_consent(
    state: Customer, channel: ConsentChannel, purpose: ConsentPurpose, given: bool
) -> Customer:
    by_purpose = {**state.consents.get(channel, {}), purpose: given}
    return replace(state, consents={**state.consents, channel: by_purpose})


def may_contact(state: Customer, channel: ConsentChannel, purpose: ConsentPurpose) -> bool:
    """Marketing needs an explicit opt-in; service contact is allowed unless opted out."""
    given = consent_of(state, channel, purpose)
    if purpose is ConsentPurpose.MARKETING:
        return given is True
    return given is not False


# Which lifecycle moves are allowed; back to active from inactive or closed is a reactivation.
TRANSITIONS: dict[Lifecycle, set[Lifecycle]] = {
    Lifecycle.PROSPECT: {Lifecycle.ACTIVE, Lifecycle.CLOSED},
    Lifecycle.ACTIVE: {Lifecycle.INACTIVE, Lifecycle.CLOSED},
    Lifecycle.INACTIVE: {Lifecycle.ACTIVE, Lifecycle.CLOSED},
    Lifecycle.CLOSED: {Lifecycle.ACTIVE},
}

# What users expect one customer's record to hold, at most. Each command folds the whole record,
# and a record past these is an import gone wrong or abuse rather than one customer's profile:
# the command is refused (422) naming the field and the limit. Records over a limit from before
# keep what they have; removing makes room again.
MAX_TAGS = 100
MAX_INTERESTS = 100
MAX_PERSONAL_DATES = 20
MAX_FAMILY_NOTES = 200
# Contact points per family of kinds: (what the message calls them, kinds, limit).
POINT_LIMITS: tuple[tuple[str, frozenset[ContactPointKind], int], ...] = (
    ("e-mail addresses", frozenset({ContactPointKind.EMAIL}), 10),
    (
        "phone numbers",
        frozenset({ContactPointKind.LANDLINE, ContactPointKind.MOBILE, ContactPointKind.WHATSAPP}),
        10,
    ),
    ("postal addresses", frozenset({ContactPointKind.POSTAL}), 10),
    (
        "web and social profiles",
        frozenset(
            {
                ContactPointKind.WEBSITE,
                ContactPointKind.FACEBOOK,
                ContactPointKind.LINKEDIN,
                ContactPointKind.OTHER_SOCIAL,
            }
        ),
        20,
    ),
)


def _within(count: int, limit: int, what: str, field: str) -> None:
    if count >= limit:
        raise DomainError(
            f"a customer has at most {limit} {what}: this one has {count}; remove one first",
            field=field,
        )


def _room_for_point(state: Customer, kind: ContactPointKind) -> None:
    for what, kinds, limit in POINT_LIMITS:
        if kind in kinds:
            held = sum(1 for p in state.points.values() if p.kind in kinds)
            _within(held, limit, what, "kind")


PERSONAL_DATE = re.compile(r"^(\d{4}|-)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


def _require_usable(state: Customer, command: Command) -> None:
    if not state.registered:
        raise NotFoundError(f"unknown customer {command.customer_id}")
    if state.erased:
        raise GoneError(f"customer {command.customer_id} was erased")
    if state.merged_into is not None:
        raise GoneError(
            f"customer {command.customer_id} was merged into {state.merged_into}: use that id"
        )


def _normalised(kind: ContactPointKind, value: str) -> str:
    try:
        return normalise(kind, value)
    except ValueError as error:
        raise DomainError(str(error), field="value") from None


def _point(state: Customer, command: Command, point_id: str) -> Point:
    point = state.points.get(point_id)
    if point is None:
        raise NotFoundError(f"customer {command.customer_id} has no contact point {point_id}")
    return point


def _add_point(
    state: Customer,
    customer_id: str,
    point_id: str,
    kind: ContactPointKind,
    value: str,
    label: str | None,
    primary: bool,
) -> list[DomainEvent]:
    normal = _normalised(kind, value)
    if any(p.kind == kind and p.value == normal for p in state.points.values()):
        raise ConflictError(f"customer {customer_id} already has the {kind} {normal}")
    if point_id in state.points:
        raise ConflictError(f"contact point {point_id} exists already")
    _room_for_point(state, kind)
    events: list[DomainEvent] = [
        ContactPointAdded(
            customer_id=customer_id, point_id=point_id, kind=kind, value=normal, label=label
        )
    ]
    first_of_kind = not any(p.kind == kind for p in state.points.values())
    if primary or first_of_kind:
        events.append(PrimaryContactPointSet(customer_id=customer_id, point_id=point_id, kind=kind))
    return events


def decide(state: Customer, command: Command) -> list[DomainEvent]:
    cid = command.customer_id
    if isinstance(command, RegisterCustomer):
        if state.registered:
            raise ConflictError(f"customer {cid} is already registered")
        name = " ".join(command.name.split())
        if not name:
            raise DomainError("name must not be blank", field="name")
        events: list[DomainEvent] = [
            CustomerRegistered(
                customer_id=cid,
                kind=command.kind,
                customer_type=command.customer_type,
                name=name,
                acquisition_channel=command.acquisition_channel,
                owner=command.owner,
            )
        ]
        registered = Customer(registered=True, kind=command.kind)
        if command.email:
            events += _add_point(
                registered,
                cid,
                "registration-email",
                ContactPointKind.EMAIL,
                command.email,
                None,
                True,
            )
        if command.phone:
            try:
                kind = phone_kind(command.phone)
            except ValueError as error:
                raise DomainError(str(error), field="phone") from None
            events += _add_point(
                registered, cid, "registration-phone", kind, command.phone, None, True
            )
        return events

    if isinstance(command, Absorb):
        _require_usable(state, command)
        return [CustomerAbsorbed(customer_id=cid, merged_id=command.merged_id)]
    if isinstance(command, EraseCustomer) and command.survivor_id is not None:
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
    _require_usable(state, command)

    match command:
        case RenameCustomer(name=name):
            clean = " ".join(name.split())
            if not clean:
                raise DomainError("name must not be blank", field="name")
            return [CustomerRenamed(customer_id=cid, name=clean)]
        case AddContactPoint():
            return _add_point(
                state,
                cid,
                command.point_id,
                command.kind,
                command.value,
                command.label,
                command.primary,
            )
        case VerifyContactPoint(point_id=pid):
            if _point(state, command, pid).verified:
                return []
            return [ContactPointVerified(customer_id=cid, point_id=pid)]
        case SetPrimaryContactPoint(point_id=pid):
            point = _point(state, command, pid)
            if point.primary:
                return []
            return [PrimaryContactPointSet(customer_id=cid, point_id=pid, kind=point.kind)]
        case RemoveContactPoint(point_id=pid):
            _point(state, command, pid)
            return [ContactPointRemoved(customer_id=cid, point_id=pid)]
        case SetPreferredChannel(channel=channel):
            if not may_contact(state, channel, ConsentPurpose.SERVICE):
                raise DomainError(
                    f"the customer opted out of contact by {channel}", field="channel"
                )
            return [PreferredChannelSet(customer_id=cid, channel=channel)]
        case AssignOwner(owner=owner):
            if owner == state.owner:
                return []
            return [OwnerAssigned(customer_id=cid, owner=owner)]
        case RecordAcquisitionChannel(channel=channel, detail=detail):
            return [AcquisitionChannelRecorded(customer_id=cid, channel=channel, detail=detail)]
        case RecordPersonalDate(kind=kind, date=date, label=label):
            if not PERSONAL_DATE.match(date):
                raise DomainError(
                    "date must be YYYY-MM-DD, or --MM-DD without a year", field="date"
                )
            _within(state.personal_dates, MAX_PERSONAL_DATES, "personal dates", "date")
            return [PersonalDateRecorded(customer_id=cid, kind=kind, date=date, label=label)]
        case RecordFamilyNote(note=note):
            _within(state.family_notes, MAX_FAMILY_NOTES, "family notes", "note")
            return [FamilyNoteRecorded(customer_id=cid, note=note.strip())]
        case AddInterest(kind=kind, value=value):
            _within(state.interests, MAX_INTERESTS, "interests", "value")
            return [InterestAdded(customer_id=cid, kind=kind, value=value.strip())]
        case AddTag(tag=tag):
            if tag in state.tags:
                return []
            _within(len(state.tags), MAX_TAGS, "tags", "tag")
            return [TagAdded(customer_id=cid, tag=tag)]
        case RemoveTag(tag=tag):
            return [TagRemoved(customer_id=cid, tag=tag)] if tag in state.tags else []
        case LinkToOrganisation(organisation_id=org, role=role, organisation=facts):
            if org == cid:
                raise DomainError("a customer cannot be linked to itself", field="organisation_id")
            if state.kind is not PartyKind.PERSON:
                raise DomainError("only persons are linked to organisations", field="customer_id")
            if not facts.registered:
                raise NotFoundError(f"unknown organisation {org}")
            if not facts.is_organisation or facts.erased_or_merged:
                raise DomainError(
                    f"{org} is not an organisation one can link to", field="organisation_id"
                )
            return [LinkedToOrganisation(customer_id=cid, organisation_id=org, role=role)]
        case EndLinkToOrganisation(organisation_id=org):
            if org not in state.organisations:
                raise NotFoundError(f"customer {cid} is not linked to organisation {org}")
            return [LinkToOrganisationEnded(customer_id=cid, organisation_id=org)]
        case ChangeLifecycle(lifecycle=target, reason=reason):
            if target == state.lifecycle:
                return []
            if target not in TRANSITIONS[state.lifecycle]:
                raise DomainError(
                    f"a {state.lifecycle} customer cannot become {target}", field="lifecycle"
                )
            return [
                LifecycleChanged(
                    customer_id=cid, previous=state.lifecycle, lifecycle=target, reason=reason
                )
            ]
        case GiveConsent(channel=ch, purpose=pu, source=source, at=at):
            if consent_of(state, ch, pu) is True:
                return []
            return [
                ConsentGiven(customer_id=cid, channel=ch, purpose=pu, source=source, given_at=at)
            ]
        case WithdrawConsent(channel=ch, purpose=pu, source=source, at=at):
            if consent_of(state, ch, pu) is False:
                return []
            return [
                ConsentWithdrawn(
                    customer_id=cid, channel=ch, purpose=pu, source=source, withdrawn_at=at
                )
            ]
        case RecordPossibleDuplicates(found=found):
            return [
                PossibleDuplicateFound(customer_id=cid, other_customer_id=other, reason=reason)
                for other, reason in found
                if other not in state.duplicates and other != cid
            ]
        case MergeInto(survivor_id=survivor):
            if survivor == cid:
                raise DomainError("a customer cannot be merged into itself", field="survivor_id")
            if not command.survivor_registered:
                raise NotFoundError(f"unknown customer {survivor}")
            if command.survivor_gone:
                raise GoneError(f"customer {survivor} was erased or merged: pick its survivor")
            return [CustomerMerged(customer_id=cid, survivor_id=survivor)]
        case EraseCustomer(requested_by=who, reason=reason):
            return [CustomerErased(customer_id=cid, requested_by=who, reason=reason)]
    raise TypeError(f"no rule for {type(command).__name__}")


def evolve(state: Customer, event: DomainEvent) -> Customer:
    match event:
        case CustomerRegistered():
            points = dict(state.points)
            # Early v1 producers put e-mail and phone on the registration itself.
            if event.email:
                points["registration-email"] = Point(
                    ContactPointKind.EMAIL, event.email, primary=True
                )
            if event.phone:
                points["registration-phone"] = Point(
                    ContactPointKind.MOBILE, event.phone, primary=True
                )
            return replace(
                state,
                registered=True,
                kind=event.kind,
                name=event.name,
                owner=event.owner,
                points=points,
            )
        case CustomerRenamed(name=name):
            return replace(state, name=name)
        case ContactPointAdded(point_id=pid, kind=kind, value=value):
            return replace(state, points={**state.points, pid: Point(kind=kind, value=value)})
        case ContactPointVerified(point_id=pid):
            return _update_point(state, pid, verified=True)
        case PrimaryContactPointSet(point_id=pid, kind=kind):
            points = {
                k: replace(p, primary=(k == pid)) if p.kind == kind else p
                for k, p in state.points.items()
            }
            return replace(state, points=points)
        case ContactPointRemoved(point_id=pid):
            return replace(state, points={k: p for k, p in state.points.items() if k != pid})
        case OwnerAssigned(owner=owner):
            return replace(state, owner=owner)
        case TagAdded(tag=tag):
            return replace(state, tags=state.tags | {tag})
        case TagRemoved(tag=tag):
            return replace(state, tags=state.tags - {tag})
        case InterestAdded():
            return replace(state, interests=state.interests + 1)
        case PersonalDateRecorded():
            return replace(state, personal_dates=state.personal_dates + 1)
        case FamilyNoteRecorded():
            return replace(state, family_notes=state.family_notes + 1)
        case LinkedToOrganisation(organisation_id=org):
            return replace(state, organisations=state.organisations | {org})
        case LinkToOrganisationEnded(organisation_id=org):
            return replace(state, organisations=state.organisations - {org})
        case LifecycleChanged(lifecycle=lifecycle):
            return replace(state, lifecycle=lifecycle)
        case ConsentGiven(channel=ch, purpose=pu):
            return _with_consent(state, ch, pu, True)
        case ConsentWithdrawn(channel=ch, purpose=pu):
            return _with_consent(state, ch, pu, False)
        case PossibleDuplicateFound(other_customer_id=other):
            return replace(state, duplicates=state.duplicates | {other})
        case CustomerMerged(survivor_id=survivor):
            return replace(state, merged_into=survivor)
        case CustomerAbsorbed(merged_id=merged):
            return replace(state, absorbed=state.absorbed | {merged})
        case CustomerErased():
            return replace(state, erased=True)
    return state


def _update_point(state: Customer, point_id: str, **changes: Any) -> Customer:
    point = state.points.get(point_id)
    if point is None:
        return state
    return replace(state, points={**state.points, point_id: replace(point, **changes)})


customer_decider: Decider[Customer, Command] = Decider(
    # The customer's own stream knows its erasure (and records it after the key is gone).
    initial_state=Customer,
    decide=decide,
    evolve=evolve,
    decides_erasure=True,
    snapshot_version=2,  # 2: the profile's counts (for the limits)
)
