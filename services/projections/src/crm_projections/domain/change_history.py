"""Read models that keep what each event of a stream set (ADR 30): one entry per stream
version with both its times, and the current fields folded from the entries in version order.

So a redelivered event changes nothing, and one arriving before an earlier one of its stream
lands in its place: a stream's events may travel on different partitions when their customer
id changes (a lead converted onto an existing customer is keyed by that customer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from crm_kernel.domain.envelope import EventEnvelope

from crm_projections.domain.copies import copy_of
from crm_projections.domain.folds import Folds
from crm_projections.domain.wire_values import instant

Document = dict[str, Any]
Basis = Literal["recorded", "occurred"]


def record(
    document: Document,
    envelopes: Iterable[EventEnvelope],
    changes_of: Callable[[EventEnvelope], Document | None],
    blank: Document,
) -> Document:
    """A copy of `document` with the entries of `envelopes` it lacks, and its fields (those of
    `blank`) folded again from every entry."""
    doc = copy_of(document)
    history: list[Document] = doc["history"]
    known = {entry["version"] for entry in history}
    for envelope in envelopes:
        changes = changes_of(envelope)
        if changes is None or envelope.stream_version in known:
            continue
        known.add(envelope.stream_version)
        history.append(
            {
                "version": envelope.stream_version,
                "occurred_at": instant(envelope.occurred_at),
                "recorded_at": instant(envelope.recorded_at),
                "set": changes,
            }
        )
    history.sort(key=lambda entry: entry["version"])
    doc.update(folded(history, blank))
    return doc


def folded(history: Iterable[Document], blank: Document) -> Document:
    """The fields (those of `blank`) the entries make, folded in the order given."""
    fields = copy_of(blank)
    for entry in history:
        fields.update((k, v) for k, v in entry["set"].items() if k in blank)
    return fields


@dataclass(frozen=True)
class HistoryModel:
    """A read model of one document per stream whose events each set some fields (`folds`
    fill them, `blank` lists them), kept as a history: the opportunities, the quotes. Its
    documents are keyed by the events' `id_field`, their stream `<stream>-<id>`."""

    stream: str
    id_field: str
    folds: Folds
    blank: Document

    @cached_property
    def event_types(self) -> frozenset[str]:
        return frozenset(c.event_type for c in self.folds.event_classes)

    def changes_of(self, envelope: EventEnvelope) -> Document | None:
        """What the event sets; None for an event that is none of this model's."""
        if envelope.type not in self.event_types:
            return None
        changes: Document = {}
        self.folds.apply(changes, envelope)
        return changes

    def key(self, envelope: EventEnvelope) -> str | None:
        if envelope.type not in self.event_types:
            return None
        found: str = envelope.data[self.id_field]
        return found

    def empty(self, id_: str) -> Document:
        return {"_id": id_, **copy_of(self.blank), "history": [], "applied": {}}

    def fold(self, document: Document, envelopes: Iterable[EventEnvelope]) -> Document:
        doc = record(document, envelopes, self.changes_of, self.blank)
        last = doc["history"][-1]["version"] if doc["history"] else None
        doc["applied"] = {f"{self.stream}-{doc['_id']}": last} if last is not None else {}
        return doc

    def now(self, doc: Document) -> Document | None:
        """The fields as they are; None for a document no event of which set `status`."""
        fields = {k: doc[k] for k in self.blank}
        return fields if fields["status"] is not None else None

    def as_of(self, doc: Document, at: str, basis: Basis = "recorded") -> Document | None:
        """The fields as they stood at `at` (an `instant`): the entries recorded by then (what
        we knew), or that happened by then (`occurred`), in that time's order; None before
        the first."""
        fields = folded(self.entries(doc, at, basis), self.blank)
        return fields if fields["status"] is not None else None

    def entries(self, doc: Document, at: str | None, basis: Basis = "recorded") -> list[Document]:
        """Every entry in version order (`at` None), or those recorded (or that happened) by
        `at`, in that time's order."""
        if at is None:
            return list(doc["history"])
        field = f"{basis}_at"
        return sorted(
            (e for e in doc["history"] if e[field] <= at), key=lambda e: (e[field], e["version"])
        )
