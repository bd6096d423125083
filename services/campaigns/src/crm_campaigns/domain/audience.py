"""Audiences (ADR 52): what campaigns know of each customer, and who a campaign reaches.

Campaigns keeps its own small projection of the facts audiences are chosen by, one document
per customer, learnt from contacts' and sales' published events and its own suppression list:
type, lifecycle, tags, owner, acquisition channel, the last word on marketing consent per
channel, products bought and the last purchase. `learn` is pure: an event at or below the
version already applied for its stream changes nothing, so redelivery is harmless.

`resolve` is pure too: the customers the rules (and the include list) name, less the exclude
list, and each left out with its reason: excluded by the campaign, on the suppression list,
no marketing opt-in on the campaign's consent channel, erased, merged into another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crm_campaigns_contracts.events import (
    CONSENT_CHANNEL,
    AudienceRules,
    Channel,
    CustomerSuppressed,
    CustomerUnsuppressed,
    Exclusion,
)
from crm_contacts_contracts.events import (
    AcquisitionChannelRecorded,
    ConsentGiven,
    ConsentPurpose,
    ConsentWithdrawn,
    CustomerErased,
    CustomerMerged,
    CustomerRegistered,
    LifecycleChanged,
    OwnerAssigned,
    TagAdded,
    TagRemoved,
)
from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.domain.events import DomainEvent
from crm_sales_contracts.events import OrderPlaced

Facts = dict[str, Any]


def blank(customer_id: str) -> Facts:
    return {
        "_id": customer_id,
        "registered": False,
        "customer_type": None,
        "lifecycle": None,
        "tags": [],
        "owner": None,
        "acquisition_channel": None,
        "marketing": {},  # consent channel -> {"given": bool, "at": instant}
        "products": [],
        "last_purchase_at": None,
        "erased": False,
        "merged_into": None,
        "suppressed": False,
        "applied": {},  # stream -> version
    }


def learnt_from() -> frozenset[str]:
    return frozenset(e.event_type for e in FOLDS)


def learn(facts: Facts, envelope: EventEnvelope) -> Facts:
    """The facts after `envelope` (the same facts for an event already applied)."""
    applied = facts["applied"]
    if applied.get(envelope.stream_id, 0) >= envelope.stream_version:
        return facts
    doc = {**facts, "applied": {**applied, envelope.stream_id: envelope.stream_version}}
    doc.update(_changes(facts, envelope.event(), envelope))
    return doc


def _changes(facts: Facts, event: DomainEvent, envelope: EventEnvelope) -> Facts:
    found = FOLDS.get(type(event))
    return {} if found is None else found(facts, event, envelope)


def _registered(facts: Facts, event: CustomerRegistered, _: EventEnvelope) -> Facts:
    return {"registered": True, "customer_type": event.customer_type.value,
            "lifecycle": facts["lifecycle"] or "prospect", "owner": event.owner,
            "acquisition_channel": _value(event.acquisition_channel)}  # fmt: skip


def _ordered(facts: Facts, event: OrderPlaced, envelope: EventEnvelope) -> Facts:
    at, last = envelope.occurred_at.isoformat(), facts["last_purchase_at"]
    return {"products": sorted({*facts["products"], *(line.sku for line in event.lines)}),
            "last_purchase_at": at if last is None or at > last else last}  # fmt: skip


def _consented(facts: Facts, event: ConsentGiven | ConsentWithdrawn, _: EventEnvelope) -> Facts:
    return (
        {"marketing": _consent(facts, event)} if event.purpose is ConsentPurpose.MARKETING else {}
    )


# What each event sets of a customer's facts.
FOLDS: dict[type[DomainEvent], Callable[[Facts, Any, EventEnvelope], Facts]] = {
    CustomerRegistered: _registered,
    LifecycleChanged: lambda f, e, _: {"lifecycle": e.lifecycle.value},
    TagAdded: lambda f, e, _: {"tags": sorted({*f["tags"], e.tag})},
    TagRemoved: lambda f, e, _: {"tags": [t for t in f["tags"] if t != e.tag]},
    OwnerAssigned: lambda f, e, _: {"owner": e.owner},
    AcquisitionChannelRecorded: lambda f, e, _: {"acquisition_channel": e.channel.value},
    ConsentGiven: _consented,
    ConsentWithdrawn: _consented,
    CustomerErased: lambda f, e, _: {"erased": True},
    CustomerMerged: lambda f, e, _: {"merged_into": e.survivor_id},
    OrderPlaced: _ordered,
    CustomerSuppressed: lambda f, e, _: {"suppressed": True},
    CustomerUnsuppressed: lambda f, e, _: {"suppressed": False},
}


def _value(found: Any) -> str | None:
    return None if found is None else str(found.value)


def _consent(facts: Facts, event: ConsentGiven | ConsentWithdrawn) -> dict[str, Any]:
    """The last word per channel by when it was said (a later one recorded earlier wins)."""
    given = isinstance(event, ConsentGiven)
    at = (event.given_at if isinstance(event, ConsentGiven) else event.withdrawn_at).isoformat()
    known = facts["marketing"].get(event.channel.value)
    if known is not None and known["at"] > at:
        return dict(facts["marketing"])
    return {**facts["marketing"], event.channel.value: {"given": given, "at": at}}


@dataclass(frozen=True)
class Resolved:
    members: tuple[str, ...]
    excluded: tuple[Exclusion, ...]


def matches(rules: AudienceRules, facts: Facts, at: datetime) -> bool:
    """Every rule given holds for the customer's facts at `at`."""
    listed = (
        (rules.customer_types, facts["customer_type"]),
        (rules.lifecycles, facts["lifecycle"]),
        (rules.owners, facts["owner"]),
        (rules.acquisition_channels, facts["acquisition_channel"]),
    )
    if any(wanted is not None and value not in wanted for wanted, value in listed):
        return False
    if rules.tags is not None and not set(rules.tags) & set(facts["tags"]):
        return False
    if rules.bought is not None and not set(rules.bought) & set(facts["products"]):
        return False
    last = facts["last_purchase_at"]
    since = None if last is None else at - datetime.fromisoformat(last)
    if rules.purchased_within_days is not None and (
        since is None or since > timedelta(days=rules.purchased_within_days)
    ):
        return False
    return (
        rules.no_purchase_for_days is None
        or since is None
        or (since >= timedelta(days=rules.no_purchase_for_days))
    )


def why_not(facts: Facts, channel: Channel) -> str | None:
    """Why a customer the rules chose is left out (None: they are a member)."""
    if facts["erased"]:
        return "erased"
    if facts["merged_into"] is not None:
        return "merged"
    if facts["suppressed"]:
        return "suppressed"
    consent = CONSENT_CHANNEL[channel]
    if consent is not None and not (facts["marketing"].get(consent) or {}).get("given"):
        return "no_consent"
    return None


def resolve(
    rules: AudienceRules,
    include: Iterable[str],
    exclude: Iterable[str],
    channel: Channel,
    known: Iterable[Facts],
    at: datetime,
) -> Resolved:
    """Who the campaign reaches at `at`, by customer id, and who is left out and why. An
    included customer campaigns know nothing of is left out (`unknown`)."""
    facts = {doc["_id"]: doc for doc in known}
    chosen = {c for c, doc in facts.items() if doc["registered"] and matches(rules, doc, at)}
    chosen |= set(include)
    dropped = set(exclude)
    members: list[str] = []
    excluded: list[Exclusion] = []
    for customer in sorted(chosen):
        doc = facts.get(customer)
        reason = (
            "excluded" if customer in dropped
            else "unknown" if doc is None
            else why_not(doc, channel)
        )  # fmt: skip
        if reason is None:
            members.append(customer)
        else:
            excluded.append(Exclusion(customer_id=customer, reason=reason))
    return Resolved(tuple(members), tuple(excluded))
