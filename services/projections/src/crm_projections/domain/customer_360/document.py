"""The customer_360 document: its sections, the fold loop over a customer's events, and the
document's own bookkeeping (merges, erasure, which stream versions it holds).

Each section is changed only by its own context's events. Folding is idempotent (the last
applied version of every source stream is kept, and an event at or below it changes
nothing) and order-tolerant across streams: counts and sums commute, lists are kept sorted,
and scalars come from one stream each (ordered within its partition). So a live fold and a
replay give the same document. Structure: docs/read-models.md (schema_version 3).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crm_contacts_contracts.events import CustomerErased, CustomerMerged
from crm_kernel.domain.envelope import EventEnvelope

from crm_projections.domain.copies import copy_of
from crm_projections.domain.customer_360 import interactions, marketing, profile, sales, support
from crm_projections.domain.customer_360.search import search_fields
from crm_projections.domain.folds import Folds
from crm_projections.domain.wire_values import latest, occurred

SCHEMA_VERSION = 3  # 3: sales.quantities and each order's skus (rebuild to fill them)

Document = dict[str, Any]

# In the order of their keys in a document.
SECTIONS = (
    profile.SECTION,
    sales.SECTION,
    marketing.SECTION,
    support.SECTION,
    interactions.SECTION,
)
OWN_FOLDS = Folds()
NOT_YET_CUSTOMERS = frozenset(
    event.event_type for section in SECTIONS for event in section.not_yet_a_customer
)


def about_a_customer(envelope: EventEnvelope) -> bool:
    """Whether the event belongs in a 360 document (a lead's does not, ADR 26)."""
    return envelope.type not in NOT_YET_CUSTOMERS


def blank(customer_id: str) -> Document:
    doc: Document = {
        "_id": customer_id,
        "customer_id": customer_id,
        "schema_version": SCHEMA_VERSION,
    }
    for section in SECTIONS:
        doc |= section.blank()
    return doc | {
        "merged_into": None,
        "merged_from": [],
        "erased": False,
        "applied": {},
        "events_applied": 0,
        "last_event_at": None,
    }


def empty(customer_id: str) -> Document:
    doc = blank(customer_id)
    doc["search"] = search_fields(doc)
    return doc


@OWN_FOLDS.on(CustomerMerged)
def _merged(doc: Document, event: CustomerMerged, envelope: EventEnvelope) -> None:
    doc["merged_into"] = event.survivor_id
    # Where the merge stands in its stream: all its tombstone keeps of `applied` (see there).
    doc["merge_position"] = [envelope.stream_id, envelope.stream_version]


@OWN_FOLDS.on(CustomerErased)
def _erased(doc: Document, event: CustomerErased, envelope: EventEnvelope) -> None:
    doc["erased"] = True
    scrub_personal_data(doc)


FOLDS = Folds.union(*(section.folds for section in SECTIONS), OWN_FOLDS)


def fold(document: Document, envelopes: Iterable[EventEnvelope]) -> Document:
    """The document with `envelopes` applied; the input is not changed."""
    doc = copy_of(document)
    for envelope in envelopes:
        if envelope.stream_version <= doc["applied"].get(envelope.stream_id, 0):
            continue  # redelivered or replayed: applied already
        if doc.get("tombstone"):
            # Only a merge reaches a tombstone (every other event is redirected first).
            raise ValueError(f"{envelope.type} reached the tombstone of merged {doc['_id']}")
        FOLDS.apply(doc, envelope)
        doc["applied"][envelope.stream_id] = envelope.stream_version
        doc["events_applied"] += 1
        doc["last_event_at"] = latest(doc["last_event_at"], occurred(envelope))
    if doc.get("tombstone"):
        return doc
    return finished(doc)


def finished(doc: Document) -> Document:
    """The document with what is derived from the rest brought up to date, in place."""
    if doc["erased"]:
        scrub_personal_data(doc)  # whatever reached an erased customer after its erasure
    doc["search"] = search_fields(doc)
    return doc


def scrub_personal_data(doc: Document) -> None:
    """Replace every personal value in the document by ERASED."""
    for section in SECTIONS:
        section.scrub(doc)
