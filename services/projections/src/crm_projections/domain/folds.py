"""Folds keyed by event class: a read model's fold of one event sees that event typed.

The key is the contract's class, so a fold reads typed fields (mypy checks them against the
contract) and no event-type name is spelled out here. Dispatch looks the envelope's type name
up among the classes registered (`event_type` comes from the class), so an event no fold
wants is never validated again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.domain.events import DomainEvent

from crm_projections.domain.copies import copy_of

Document = dict[str, Any]
E = TypeVar("E", bound=DomainEvent)
Fold = Callable[[Document, E, EventEnvelope], None]


def is_event(envelope: EventEnvelope, event_class: type[DomainEvent]) -> bool:
    """Whether the envelope carries an event of this class (without validating it)."""
    return envelope.type == event_class.event_type


class Folds:
    """One fold per event class; `on` registers one, `apply` runs the one for an envelope."""

    def __init__(self) -> None:
        self._by_type: dict[str, tuple[type[DomainEvent], Fold[Any]]] = {}

    def on(self, event_class: type[E]) -> Callable[[Fold[E]], Fold[E]]:
        def register(fold: Fold[E]) -> Fold[E]:
            if event_class.event_type in self._by_type:
                raise TypeError(f"{event_class.__name__} has a fold already")
            self._by_type[event_class.event_type] = (event_class, fold)
            return fold

        return register

    def event_for(self, envelope: EventEnvelope) -> DomainEvent | None:
        """The envelope's typed event if a fold here wants it, else None."""
        found = self._by_type.get(envelope.type)
        return envelope.event() if found is not None else None

    def apply(self, document: Document, envelope: EventEnvelope) -> None:
        found = self._by_type.get(envelope.type)
        if found is None:
            return
        event_class, fold = found
        event = envelope.event()
        if not isinstance(event, event_class):  # the registry and this table disagree
            raise TypeError(f"{envelope.type} decoded as {type(event).__name__}")
        fold(document, event, envelope)

    @property
    def event_classes(self) -> list[type[DomainEvent]]:
        return [event_class for event_class, _ in self._by_type.values()]

    @classmethod
    def union(cls, *tables: Folds) -> Folds:
        """Every table's folds in one; an event class folded by two tables is an error."""
        joined = cls()
        for table in tables:
            for event_class, fold in table._by_type.values():
                joined.on(event_class)(fold)
        return joined


def fold_once(
    folds: Folds,
    document: Document,
    envelopes: Iterable[EventEnvelope],
    then: Callable[[Document, EventEnvelope], None] = lambda doc, envelope: None,
) -> Document:
    """A copy of `document` with each envelope applied once: one at or below the version
    applied for its stream is a redelivery and changes nothing; `then` runs after each."""
    doc = copy_of(document)
    for envelope in envelopes:
        if envelope.stream_version <= doc["applied"].get(envelope.stream_id, 0):
            continue
        folds.apply(doc, envelope)
        doc["applied"][envelope.stream_id] = envelope.stream_version
        then(doc, envelope)
    return doc
