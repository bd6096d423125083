"""Merges in the customer_360 read model: the survivor absorbs the merged customer's
document, a tombstone stays under the merged id, and "as of" folds a history with merges
the way the live projector does."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crm_contacts_contracts.events import CustomerMerged
from crm_kernel.domain.envelope import EventEnvelope

from crm_projections.domain.copies import copy_of
from crm_projections.domain.customer_360.document import (
    SCHEMA_VERSION,
    SECTIONS,
    about_a_customer,
    empty,
    finished,
    fold,
)
from crm_projections.domain.folds import is_event
from crm_projections.domain.wire_values import latest

Document = dict[str, Any]


def absorb(survivor: Document, merged: Document, events: Iterable[EventEnvelope] = ()) -> Document:
    """The survivor with the merged customer's history folded in (commutative parts add up,
    lists unite; the survivor's own scalars stay). Idempotent via `merged_from`.

    `events` are those just folded into `merged`. If the survivor absorbed it already (its
    tombstone's write failed after the survivor's, and the batch came again, maybe with
    more), the ones the survivor has not applied (per stream) are folded onto it, as they
    would have been redirected there: an order placed meanwhile for the merged id is kept."""
    if merged["_id"] in survivor["merged_from"]:
        return fold(survivor, (e for e in events if not is_event(e, CustomerMerged)))
    doc = copy_of(survivor)
    doc["merged_from"] = sorted({*doc["merged_from"], merged["_id"], *merged["merged_from"]})
    for section in SECTIONS:
        section.absorb(doc, merged)
    for stream, version in merged["applied"].items():
        doc["applied"][stream] = max(version, doc["applied"].get(stream, 0))
    doc["events_applied"] += merged["events_applied"]
    doc["last_event_at"] = latest(doc["last_event_at"], merged["last_event_at"])
    return finished(doc)  # scrubbed if the merge reaches a survivor after its erasure


def tombstone(merged: Document) -> Document:
    """What stays under a merged id: where it went."""
    # Only the merge's own position stays in `applied`: a redelivered CustomerMerged (routed
    # here, never redirected) is skipped, and every other event is redirected to the survivor,
    # whose `applied` took all of the merged one's. Which other events the merged document
    # saw before it moved depends on how the topics interleaved (a rebuild may fold a later
    # order for the merged id before the merge, live folds it on the survivor): keeping them
    # would make a rebuilt tombstone differ from the live one.
    position = merged.get("merge_position")
    applied = {position[0]: position[1]} if position else merged["applied"]
    return {
        "_id": merged["_id"],
        "customer_id": merged["_id"],
        "schema_version": SCHEMA_VERSION,
        "merged_into": merged["merged_into"],
        "tombstone": True,
        "applied": applied,
    }


def is_pending_merge(doc: Document) -> bool:
    """Merged, but not yet a tombstone: written with its survivor, before its tombstone."""
    return doc.get("merged_into") is not None and not doc.get("tombstone")


def as_of(customer_id: str, envelopes: Iterable[EventEnvelope]) -> Document | None:
    """The document as the given events make it, with the same folds and merges as the live
    projector: what an auditor gets for "as of". None if nothing was known."""
    by_owner: dict[str, list[EventEnvelope]] = {}
    for envelope in sorted(envelopes, key=lambda e: (e.stream_id, e.stream_version)):
        if envelope.customer_id is not None and about_a_customer(envelope):
            by_owner.setdefault(envelope.customer_id, []).append(envelope)
    docs = {cid: fold(empty(cid), events) for cid, events in by_owner.items()}
    while pending := sorted(cid for cid, doc in docs.items() if is_pending_merge(doc)):
        for cid in pending:
            target = docs[cid]["merged_into"]
            survivor = docs.get(target) or fold(empty(target), [])
            docs[target] = absorb(survivor, docs[cid])
            docs[cid] = tombstone(docs[cid])
    found = docs.get(customer_id)
    for _ in range(len(docs)):
        if found is None or not found.get("tombstone"):
            return found
        found = docs.get(found["merged_into"])
    return None
