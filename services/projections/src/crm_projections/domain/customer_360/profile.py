"""The profile section, from contacts' events: who the customer is (`profile`), how to reach
them (`contact`: points and the preferred channel) and what they allow (`consent`)."""

from __future__ import annotations

from typing import Any

from crm_contacts_contracts.events import (
    AcquisitionChannelRecorded,
    ConsentChannel,
    ConsentGiven,
    ConsentPurpose,
    ConsentWithdrawn,
    ContactPointAdded,
    ContactPointRemoved,
    ContactPointVerified,
    CustomerRegistered,
    CustomerRenamed,
    FamilyNoteRecorded,
    InterestAdded,
    Lifecycle,
    LifecycleChanged,
    LinkedToOrganisation,
    LinkToOrganisationEnded,
    OwnerAssigned,
    PersonalDateRecorded,
    PossibleDuplicateFound,
    PreferredChannelSet,
    PrimaryContactPointSet,
    TagAdded,
    TagRemoved,
    duplicate_reason,
)
from crm_contacts_contracts.events import may_contact as contact_allowed
from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.domain.events import ERASED

from crm_projections.domain.customer_360.lists import add_unique, unite, upsert
from crm_projections.domain.customer_360.section import Section
from crm_projections.domain.folds import Folds
from crm_projections.domain.wire_values import json_time, occurred

Document = dict[str, Any]
FOLDS = Folds()
CONSENT_CHANNELS = tuple(channel.value for channel in ConsentChannel)

# Each list of the profile and the keys its fold keeps it sorted by.
PROFILE_LISTS: dict[str, tuple[str, ...]] = {
    "personal_dates": ("kind", "id"),
    "family_notes": ("at", "id"),
    "interests": ("kind", "id"),
    "organisations": ("id",),
    "possible_duplicates": ("id",),
}
POINT_ORDER = ("kind", "id")


def blank() -> Document:
    return {"profile": None, "contact": {"points": [], "preferred_channel": None}, "consent": {}}


def empty_profile() -> Document:
    return {
        "kind": None,
        "customer_type": None,
        "name": None,
        "registered_at": None,
        "owner": None,
        "acquisition": None,
        "lifecycle": "prospect",
        "reactivations": 0,
        "personal_dates": [],
        "family_notes": [],
        "interests": [],
        "tags": [],
        "organisations": [],
        "possible_duplicates": [],
    }


def _profile(doc: Document) -> Document:
    if doc["profile"] is None:
        doc["profile"] = empty_profile()
    profile: Document = doc["profile"]
    return profile


def _upsert_into(profile: Document, key: str, item: Document) -> None:
    """`upsert` into one of the profile's lists, kept in that list's order."""
    profile[key] = upsert(profile[key], item, *PROFILE_LISTS[key])


def _add_point(doc: Document, point: Document) -> None:
    doc["contact"]["points"] = upsert(doc["contact"]["points"], point, *POINT_ORDER)


def registration(doc: Document) -> str:
    """`pending` until contacts' registration is folded, then `registered`: other contexts may
    name a customer before it (a shop's order first, DESIGN §5). Derived from folded events
    only, so a rebuild gives the same."""
    return "registered" if (doc["profile"] or {}).get("registered_at") else "pending"


# --- who the customer is -------------------------------------------------------------------


@FOLDS.on(CustomerRegistered)
def _registered(doc: Document, event: CustomerRegistered, envelope: EventEnvelope) -> None:
    _profile(doc).update(
        kind=event.kind.value,
        customer_type=event.customer_type.value,
        name=event.name,
        registered_at=occurred(envelope),
        owner=event.owner,
    )
    if event.acquisition_channel is not None:
        _profile(doc)["acquisition"] = {"channel": event.acquisition_channel.value, "detail": None}
    for kind, value in (("email", event.email), ("mobile", event.phone)):
        if value:  # early v1 registrations carried e-mail and phone themselves
            point = {
                "id": f"registration-{kind}",
                "kind": kind,
                "value": value,
                "label": None,
                "verified": False,
                "primary": True,
            }
            _add_point(doc, point)


@FOLDS.on(CustomerRenamed)
def _renamed(doc: Document, event: CustomerRenamed, envelope: EventEnvelope) -> None:
    _profile(doc)["name"] = event.name


@FOLDS.on(OwnerAssigned)
def _owner(doc: Document, event: OwnerAssigned, envelope: EventEnvelope) -> None:
    _profile(doc)["owner"] = event.owner


@FOLDS.on(AcquisitionChannelRecorded)
def _acquisition(doc: Document, event: AcquisitionChannelRecorded, envelope: EventEnvelope) -> None:
    _profile(doc)["acquisition"] = {"channel": event.channel.value, "detail": event.detail}


@FOLDS.on(PersonalDateRecorded)
def _personal_date(doc: Document, event: PersonalDateRecorded, envelope: EventEnvelope) -> None:
    item = {
        "id": str(envelope.event_id),
        "kind": event.kind.value,
        "label": event.label,
        "date": event.date,
    }
    _upsert_into(_profile(doc), "personal_dates", item)


@FOLDS.on(FamilyNoteRecorded)
def _family_note(doc: Document, event: FamilyNoteRecorded, envelope: EventEnvelope) -> None:
    item = {"id": str(envelope.event_id), "at": occurred(envelope), "note": event.note}
    _upsert_into(_profile(doc), "family_notes", item)


@FOLDS.on(InterestAdded)
def _interest(doc: Document, event: InterestAdded, envelope: EventEnvelope) -> None:
    item = {"id": str(envelope.event_id), "kind": event.kind.value, "value": event.value}
    _upsert_into(_profile(doc), "interests", item)


@FOLDS.on(TagAdded)
def _tag_added(doc: Document, event: TagAdded, envelope: EventEnvelope) -> None:
    profile = _profile(doc)
    profile["tags"] = add_unique(profile["tags"], event.tag)


@FOLDS.on(TagRemoved)
def _tag_removed(doc: Document, event: TagRemoved, envelope: EventEnvelope) -> None:
    profile = _profile(doc)
    profile["tags"] = [t for t in profile["tags"] if t != event.tag]


@FOLDS.on(LinkedToOrganisation)
def _linked(doc: Document, event: LinkedToOrganisation, envelope: EventEnvelope) -> None:
    item = {"id": event.organisation_id, "role": event.role, "since": occurred(envelope)}
    _upsert_into(_profile(doc), "organisations", item)


@FOLDS.on(LinkToOrganisationEnded)
def _unlinked(doc: Document, event: LinkToOrganisationEnded, envelope: EventEnvelope) -> None:
    profile = _profile(doc)
    profile["organisations"] = [
        o for o in profile["organisations"] if o["id"] != event.organisation_id
    ]


@FOLDS.on(LifecycleChanged)
def _lifecycle(doc: Document, event: LifecycleChanged, envelope: EventEnvelope) -> None:
    profile = _profile(doc)
    profile["lifecycle"] = event.lifecycle.value
    if event.lifecycle == Lifecycle.ACTIVE and event.previous in (
        Lifecycle.INACTIVE,
        Lifecycle.CLOSED,
    ):
        profile["reactivations"] += 1


@FOLDS.on(PossibleDuplicateFound)
def _duplicate(doc: Document, event: PossibleDuplicateFound, envelope: EventEnvelope) -> None:
    profile = _profile(doc)
    other = event.other_customer_id
    if other == doc["_id"] or other in doc["merged_from"]:
        # Already one customer: whether the report folds before or after the merge (topics
        # interleave differently live and in a rebuild), the view must not list it.
        return
    # A code: the contract reads an early event's free text as its code.
    _upsert_into(profile, "possible_duplicates", {"id": other, "reason": event.reason.value})


# --- how to reach them ---------------------------------------------------------------------


@FOLDS.on(ContactPointAdded)
def _point_added(doc: Document, event: ContactPointAdded, envelope: EventEnvelope) -> None:
    point = {
        "id": event.point_id,
        "kind": event.kind.value,
        "value": event.value,
        "label": event.label,
        "verified": False,
        "primary": False,
    }
    _add_point(doc, point)


@FOLDS.on(ContactPointVerified)
def _point_verified(doc: Document, event: ContactPointVerified, envelope: EventEnvelope) -> None:
    for point in doc["contact"]["points"]:
        if point["id"] == event.point_id:
            point["verified"] = True


@FOLDS.on(PrimaryContactPointSet)
def _primary_set(doc: Document, event: PrimaryContactPointSet, envelope: EventEnvelope) -> None:
    for point in doc["contact"]["points"]:
        if point["kind"] == event.kind.value:
            point["primary"] = point["id"] == event.point_id


@FOLDS.on(ContactPointRemoved)
def _point_removed(doc: Document, event: ContactPointRemoved, envelope: EventEnvelope) -> None:
    doc["contact"]["points"] = [p for p in doc["contact"]["points"] if p["id"] != event.point_id]


@FOLDS.on(PreferredChannelSet)
def _preferred(doc: Document, event: PreferredChannelSet, envelope: EventEnvelope) -> None:
    doc["contact"]["preferred_channel"] = event.channel.value


# --- what they allow -----------------------------------------------------------------------


def _state_consent(
    doc: Document,
    channel: ConsentChannel,
    purpose: ConsentPurpose,
    statement: Document,
) -> None:
    statements = doc["consent"].setdefault(channel.value, {})
    current = statements.get(purpose.value)
    if current is None or current["at"] <= statement["at"]:  # the latest statement counts
        statements[purpose.value] = statement


@FOLDS.on(ConsentGiven)
def _consent_given(doc: Document, event: ConsentGiven, envelope: EventEnvelope) -> None:
    statement = {"status": "opt_in", "at": json_time(event.given_at), "source": event.source}
    _state_consent(doc, event.channel, event.purpose, statement)


@FOLDS.on(ConsentWithdrawn)
def _consent_withdrawn(doc: Document, event: ConsentWithdrawn, envelope: EventEnvelope) -> None:
    statement = {"status": "opt_out", "at": json_time(event.withdrawn_at), "source": event.source}
    _state_consent(doc, event.channel, event.purpose, statement)


STATED = {"opt_in": True, "opt_out": False}


def may_contact(consent: Document, channel: str) -> dict[str, bool]:
    """The contacts context's rule (`crm_contacts_contracts.events.may_contact`) for each
    purpose, from the last statement this view holds for the channel."""
    statements = consent.get(channel, {})
    return {
        purpose.value: contact_allowed(
            purpose, STATED.get(statements.get(purpose.value, {}).get("status", ""))
        )
        for purpose in ConsentPurpose
    }


# --- merges and erasure --------------------------------------------------------------------


def absorb(survivor: Document, merged: Document) -> None:
    """Lists unite (sorted as their folds sort them, so a merge folded before or after an item
    leaves the same list), the survivor's scalars stay; duplicates that are now one customer
    go. Needs the survivor's `merged_from` updated first."""
    if merged["profile"] is not None:
        mine, theirs = _profile(survivor), merged["profile"]
        for key, order in PROFILE_LISTS.items():
            mine[key] = unite(theirs[key], mine[key], *order)
        mine["tags"] = sorted({*mine["tags"], *theirs["tags"]})
    if survivor["profile"] is not None:
        one = {survivor["_id"], *survivor["merged_from"]}
        found = survivor["profile"]["possible_duplicates"]
        survivor["profile"]["possible_duplicates"] = [d for d in found if d["id"] not in one]
    points = survivor["contact"]["points"]
    survivor["contact"]["points"] = unite(merged["contact"]["points"], points, *POINT_ORDER)
    for channel, purposes in merged["consent"].items():
        for purpose, statement in purposes.items():
            mine_c = survivor["consent"].setdefault(channel, {})
            if purpose not in mine_c or mine_c[purpose]["at"] < statement["at"]:
                mine_c[purpose] = statement


def scrub(doc: Document) -> None:
    """Replace every personal value of the section by ERASED."""
    profile = doc["profile"]
    if profile is not None:
        profile["name"] = ERASED
        for item in profile["personal_dates"]:
            item["date"] = ERASED
        for item in profile["family_notes"]:
            item["note"] = ERASED
        for item in profile["interests"]:
            item["value"] = ERASED
        for item in profile["possible_duplicates"]:  # documents folded before reasons were codes
            item["reason"] = duplicate_reason(item["reason"]).value
        acquisition = profile.get("acquisition")
        if acquisition and acquisition.get("detail") is not None:
            acquisition["detail"] = ERASED
    for point in doc["contact"]["points"]:
        point["value"] = ERASED


def shown_duplicates(profile: Document) -> Document:
    """The profile as readers see it: documents folded before duplicate reasons were codes
    hold the matching value, shown as its code."""
    if not profile.get("possible_duplicates"):
        return profile
    found = profile["possible_duplicates"]
    return {
        **profile,
        "possible_duplicates": [
            {**d, "reason": duplicate_reason(d["reason"]).value} for d in found
        ],
    }


SECTION = Section(blank=blank, folds=FOLDS, absorb=absorb, scrub=scrub)
