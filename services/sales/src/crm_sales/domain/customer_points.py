"""What sales learns of existing customers from contacts' events (ADR 28): which e-mails and
phones they hold, so a lead can be reported as looking like a customer. Pure: the
application layer applies the changes to sales' blind index.

Sales reads contacts' published events (`crm.contacts.events`, the contacts contracts): no call
to contacts, no import of its service. Values arrive opened with the customer's key; an erased
customer's read `[erased]` and are not learnt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from crm_contacts_contracts.events import (
    ContactPointAdded,
    ContactPointRemoved,
    CustomerErased,
    CustomerMerged,
    CustomerRegistered,
    lookup_kind,
)
from crm_kernel.domain.errors import DomainError
from crm_kernel.domain.events import ERASED, DomainEvent

from crm_sales.domain.lead_points import EMAIL, PHONE, normalised


@dataclass(frozen=True)
class PointAdded:
    customer_id: str
    point_id: str
    kind: str  # the lookup: "email" or "phone"
    value: str  # normalised


@dataclass(frozen=True)
class PointRemoved:
    customer_id: str
    point_id: str


@dataclass(frozen=True)
class CustomerGone:
    """Erased, or merged into another (contacts' own lookup forgets it too)."""

    customer_id: str


Change = PointAdded | PointRemoved | CustomerGone
K = TypeVar("K")
# The only events that change anything: the consumer opens no other (no key lookups for them).
LEARNT_FROM = frozenset(
    e.event_type
    for e in (
        ContactPointAdded,
        ContactPointRemoved,
        CustomerErased,
        CustomerMerged,
        CustomerRegistered,
    )
)
# Early v1 registrations carried the e-mail and phone themselves (ADR 23): named like points.
REGISTERED_POINTS = {"email": "registered-email", "phone": "registered-phone"}


def _point(customer_id: str, point_id: str, kind: str, value: str | None) -> list[Change]:
    if value is None or value == ERASED:
        return []
    try:  # contacts stores them normalised; an early or foreign spelling is normalised here
        return [PointAdded(customer_id, point_id, kind, normalised(kind, value))]
    except DomainError:
        return []


def changes_of(event: DomainEvent) -> list[Change]:
    """The index changes one contacts event makes; most events make none."""
    match event:
        case ContactPointAdded(customer_id=cid, point_id=pid, kind=kind, value=value):
            lookup = lookup_kind(kind)
            return [] if lookup is None else _point(cid, pid, lookup, value)
        case ContactPointRemoved(customer_id=cid, point_id=pid):
            return [PointRemoved(cid, pid)]
        case CustomerErased(customer_id=cid) | CustomerMerged(customer_id=cid):
            return [CustomerGone(cid)]
        case CustomerRegistered(customer_id=cid, email=email, phone=phone):
            return [
                *_point(cid, REGISTERED_POINTS[EMAIL], EMAIL, email),
                *_point(cid, REGISTERED_POINTS[PHONE], PHONE, phone),
            ]
    return []


@dataclass(frozen=True)
class IndexPlan(Generic[K]):
    """What one batch of changes does to the index, so it is written in a few bulk commands:
    each customer's points after the batch (None: forgotten), and the (value, customer) pairs
    the value entries gain and lose. `K` is how a value is keyed (a digest in the store)."""

    points: dict[str, dict[str, K] | None]
    held: set[tuple[K, str]]
    released: set[tuple[K, str]]


def plan_index(
    before: Mapping[str, Mapping[str, K]],
    changes: Sequence[Change],
    key_of: Callable[[str, str], K],
) -> IndexPlan[K]:
    """Fold `changes`, in order, onto the customers' points as stored (`before`: customer ->
    point id -> value key). A value stays listed for a customer while any of its points holds
    it (a mobile may also be the WhatsApp number). Re-adding a point lists it again, so a
    batch replayed after a crash between the two writes repairs the entries."""
    points: dict[str, dict[str, K] | None] = {}
    added: set[tuple[K, str]] = set()
    for change in changes:
        cid = change.customer_id
        current = points[cid] if cid in points else dict(before[cid]) if cid in before else None
        match change:
            case PointAdded(point_id=pid, kind=kind, value=value):
                key = key_of(kind, value)
                points[cid] = {**(current or {}), pid: key}
                added.add((key, cid))
            case PointRemoved(point_id=pid):
                if current is not None:
                    points[cid] = {p: k for p, k in current.items() if p != pid}
            case CustomerGone():
                points[cid] = None
    held_before = {(k, cid) for cid, mine in before.items() if cid in points for k in mine.values()}
    held_after = {(k, cid) for cid, mine in points.items() for k in (mine or {}).values()}
    return IndexPlan(
        points=points,
        held=held_after - held_before | added & held_after,
        released=held_before - held_after,
    )
