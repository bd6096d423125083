"""The optimistic fold-and-save loop of the projectors that keep documents (customer_360,
activities): read each document with its revision (`_rev`), fold its events onto it, save the
documents that changed on condition that their revision is still the one read, and fold again
from the stored document those that lost the race, for at most `MAX_ROUNDS` rounds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, NamedTuple

from crm_kernel.domain.envelope import EventEnvelope

from crm_projections.application.ports import ReadStore

Document = dict[str, Any]
Batch = dict[str, list[EventEnvelope]]
# Documents read already, by id (None: not stored).
Known = Mapping[str, Document | None]
MAX_ROUNDS = 10


class Folded(NamedTuple):
    """One document in a round: the revision it was read at (0: not stored), the document as
    read without its revision (None: not stored), and the document to save."""

    rev: int
    base: Document | None
    after: Document


def without_rev(doc: Document | None) -> Document | None:
    return {k: v for k, v in doc.items() if k != "_rev"} if doc else None


def read(stored: Document | None, id_: str, empty: Callable[[str], Document]) -> Folded:
    """A stored document (None: not stored) as a round starts from, nothing folded yet."""
    base = without_rev(stored)
    return Folded((stored or {}).get("_rev", 0), base, base or empty(id_))


async def fold_batch(
    store: ReadStore,
    batch: Mapping[str, list[EventEnvelope]],
    empty: Callable[[str], Document],
    fold: Callable[[Document, Iterable[EventEnvelope]], Document],
    known: Known,
) -> dict[str, Folded]:
    """Each document of the batch with its events folded in, from `known` or the store."""
    unknown = [i for i in batch if i not in known]
    current = {i: doc for i in batch if (doc := known.get(i)) is not None}
    if unknown:
        current |= await store.load_many(unknown)
    folded = {}
    for id_, events in batch.items():
        rev, base, start = read(current.get(id_), id_, empty)
        folded[id_] = Folded(rev, base, fold(start, events))
    return folded


def changes(folded: Mapping[str, Folded]) -> dict[str, tuple[int, Document]]:
    """What to save: each document that changed, with the revision it was read at."""
    return {id_: (rev, after) for id_, (rev, base, after) in folded.items() if after != base}


async def until_saved(
    batch: Batch,
    round_: Callable[[Batch, Known], Awaitable[set[str]]],
    known: Known,
    max_rounds: int = MAX_ROUNDS,
) -> None:
    """Run `round_` (fold and save; returns the ids that lost a write race) on the batch, then
    on the ids that lost, until none does. The first round may start from documents `known`
    already; a lost race means the stored documents changed, so later rounds read them again."""
    pending = dict(batch)
    for _ in range(max_rounds):
        if not pending:
            return
        pending = {i: batch[i] for i in await round_(pending, known)}
        known = {}
    if pending:
        raise RuntimeError(f"{len(pending)} documents kept losing write races")
