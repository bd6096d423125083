"""Read models that keep what each event of a stream set (ADR 30): one entry per stream
version with both its times, and the current fields folded from the entries in version order.

So a redelivered event changes nothing, and one arriving before an earlier one of its stream
lands in its place: a stream's events may travel on different partitions when their customer
id changes (a lead converted onto an existing customer is keyed by that customer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from crm_kernel.domain.envelope import EventEnvelope

from crm_projections.domain.copies import copy_of
from crm_projections.domain.wire_values import instant

Document = dict[str, Any]


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
    """The fields the entries make, folded in the order given."""
    fields = copy_of(blank)
    for entry in history:
        fields.update(entry["set"])
    return fields
