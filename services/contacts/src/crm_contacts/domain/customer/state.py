"""A customer's state as its stream folds it, and the fold (`evolve`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from crm_contacts_contracts.events import (
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
    PrimaryContactPointSet,
    TagAdded,
    TagRemoved,
)
from crm_contacts_contracts.events import may_contact as consent_allows
from crm_kernel.domain.events import DomainEvent


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
    # The ids converted leads of this customer would have had: their keys seal the leads' data.
    prospects: frozenset[str] = frozenset()
    owner: str | None = None
    merged_into: str | None = None
    erased: bool = False

    @property
    def gone(self) -> bool:
        return self.erased or self.merged_into is not None

    @property
    def is_organisation(self) -> bool:
        return self.kind is PartyKind.ORGANISATION


def consent_of(state: Customer, channel: ConsentChannel, purpose: ConsentPurpose) -> bool | None:
    """True: opted in, False: opted out, None: never said."""
    return state.consents.get(channel, {}).get(purpose)


def may_contact(state: Customer, channel: ConsentChannel, purpose: ConsentPurpose) -> bool:
    """Whether the customer's consent allows contact on `channel` for `purpose`."""
    return consent_allows(purpose, consent_of(state, channel, purpose))


def _with_consent(
    state: Customer, channel: ConsentChannel, purpose: ConsentPurpose, given: bool
) -> Customer:
    by_purpose = {**state.consents.get(channel, {}), purpose: given}
    return replace(state, consents={**state.consents, channel: by_purpose})


def _update_point(state: Customer, point_id: str, **changes: Any) -> Customer:
    point = state.points.get(point_id)
    if point is None:
        return state
    return replace(state, points={**state.points, point_id: replace(point, **changes)})


def _primary(state: Customer, point_id: str, kind: ContactPointKind) -> Customer:
    points = {
        k: replace(p, primary=(k == point_id)) if p.kind == kind else p
        for k, p in state.points.items()
    }
    return replace(state, points=points)


def evolve(state: Customer, event: DomainEvent) -> Customer:
    match event:
        case CustomerRegistered():
            return replace(
                state, registered=True, kind=event.kind, name=event.name, owner=event.owner
            )
        case CustomerRenamed(name=name):
            return replace(state, name=name)
        case ContactPointAdded(point_id=pid, kind=kind, value=value):
            return replace(state, points={**state.points, pid: Point(kind=kind, value=value)})
        case ContactPointVerified(point_id=pid):
            return _update_point(state, pid, verified=True)
        case PrimaryContactPointSet(point_id=pid, kind=kind):
            return _primary(state, pid, kind)
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
        case LeadAttached(prospect_id=prospect):
            return replace(state, prospects=state.prospects | {prospect})
        case CustomerErased():
            return replace(state, erased=True)
    return state
