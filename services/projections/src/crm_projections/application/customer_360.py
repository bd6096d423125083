"""The customer_360 projector: load the batch's documents in one query, fold in memory,
write in one bulk; merged customers are folded into their survivor."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from crm_contacts_contracts.events import CustomerMerged
from crm_kernel import metrics
from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.ports.keystore import KeyStore
from crm_kernel.privacy import unseal_all

from crm_projections.application.fold_and_save import (
    Batch,
    Folded,
    Known,
    changes,
    fold_batch,
    read,
    until_saved,
)
from crm_projections.application.ports import ReadStore, Redirects
from crm_projections.domain import customer_360
from crm_projections.domain.folds import is_event

Document = dict[str, Any]


def _as_stored(saved: dict[str, tuple[int, Document]], lost: set[str]) -> dict[str, Document]:
    """The documents a save_many wrote, as a read would return them."""
    return {i: {**doc, "_rev": rev + 1} for i, (rev, doc) in saved.items() if i not in lost}


def _holds(doc: Document | None, envelope: EventEnvelope) -> bool:
    """Whether a merging (not yet tombstoned) document has the event applied."""
    if doc is None or not customer_360.is_pending_merge(doc):
        return False
    return bool(envelope.stream_version <= doc["applied"].get(envelope.stream_id, 0))


class Customer360Projector:
    def __init__(
        self,
        store: ReadStore,
        redirects: Redirects,
        keys: KeyStore,
        on_written: Callable[[Mapping[str, Document]], None] = lambda written: None,
    ) -> None:
        self._store = store
        self._redirects = redirects
        self._keys = keys
        self._on_written = on_written  # hands the stored documents to readers waiting for them

    async def handle(self, envelopes: list[EventEnvelope]) -> None:
        envelopes = [e for e in envelopes if customer_360.about_a_customer(e)]
        if not envelopes:
            return
        with metrics.BATCH_SECONDS.time():
            ids = sorted({str(e.customer_id) for e in envelopes if e.customer_id is not None})
            # Keys and documents are read at once: the customer id travels in clear.
            readable, loaded = await asyncio.gather(
                unseal_all(envelopes, self._keys), self._store.load_many(ids)
            )
            about = [e for e in readable if e.customer_id is not None]
            # Only a merged customer's tombstone sends its events elsewhere, or its document
            # marked as merging (written with the survivor, before the tombstone): the
            # redirects are read for those alone; the documents just read serve the first round.
            targets = {i: i for i in ids}
            merged = [
                i
                for i, doc in loaded.items()
                if doc.get("tombstone") or customer_360.is_pending_merge(doc)
            ]
            if merged:
                resolved = await self._redirects.resolve_many(merged)
                # The redirects follow every later merge; a tombstone names at least the next.
                targets |= {
                    i: resolved[i] if resolved[i] != i else loaded[i]["merged_into"] for i in merged
                }
            by_customer: dict[str, list[EventEnvelope]] = defaultdict(list)
            for envelope in about:
                cid = str(envelope.customer_id)
                # A merge is folded into the merged customer's own document, which then moves;
                # so are the events a merging document holds already (a no-op there).
                own = is_event(envelope, CustomerMerged) or _holds(loaded.get(cid), envelope)
                by_customer[cid if own else targets[cid]].append(envelope)
            await until_saved(by_customer, self._round, {i: loaded.get(i) for i in ids})
        metrics.EVENTS_PROJECTED.inc(len(envelopes))

    async def _round(self, batch: Batch, known: Known) -> set[str]:
        """Fold and store; returns the ids that lost a write race and must be folded again.
        `known` holds documents already read (None: not there)."""
        folded = await fold_batch(self._store, batch, customer_360.empty, customer_360.fold, known)

        merges = {
            cid: f[2]["merged_into"]
            for cid, f in folded.items()
            if customer_360.is_pending_merge(f[2])
        }
        outside = [s for s in merges.values() if s not in folded]
        survivors = await self._store.load_many(outside) if outside else {}
        for survivor_id in outside:
            folded[survivor_id] = read(survivors.get(survivor_id), survivor_id, customer_360.empty)
        for merged_id, survivor_id in merges.items():
            rev, base, doc = folded[survivor_id]
            # With the batch's events for the merged id: if the survivor has it already (a
            # failed tombstone write), those it lacks are folded onto it, not lost.
            absorbed = customer_360.absorb(doc, folded[merged_id][2], batch.get(merged_id, []))
            folded[survivor_id] = Folded(rev, base, absorbed)

        # Survivors are written before the merged documents become tombstones, so a crash in
        # between leaves the history in both places, never in neither (absorb is idempotent).
        # The merged documents are written with them, marked as merging (`merged_into`): until
        # the tombstone is, events for the merged id they do not hold go to the survivor.
        first = changes(folded)
        skipped = sum(
            len(batch[c])
            for c, (_, base, after) in folded.items()
            if c in batch and c not in merges and after == base
        )
        metrics.EVENTS_SKIPPED.inc(skipped)
        lost = await self._store.save_many(first)
        self._on_written(_as_stored(first, lost))
        done = {m: s for m, s in merges.items() if s not in lost and m not in lost}
        for merged_id, survivor_id in done.items():
            await self._redirects.save(merged_id, survivor_id)
        tombstones = {
            m: (folded[m][0] + (m in first), customer_360.tombstone(folded[m][2])) for m in done
        }
        lost_tombstones = await self._store.save_many(tombstones)
        self._on_written(_as_stored(tombstones, lost_tombstones))
        lost |= lost_tombstones
        # A merge whose survivor lost the race is redone with it.
        lost |= {m for m, s in merges.items() if s in lost}
        return {cid for cid in lost if cid in batch} | {m for m, s in merges.items() if s in lost}
