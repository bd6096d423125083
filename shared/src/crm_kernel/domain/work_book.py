"""What a work book learns from one event (ADR 32, ADR 49): who holds a piece of work (a lead,
a case) and whether it is open, so a team's routing can respect each member's cap. A context
names its events in `WorkBookRules`; only the fields an event says change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crm_kernel.domain.envelope import EventEnvelope

Entry = dict[str, Any]


@dataclass(frozen=True)
class WorkBookRules:
    id_field: str  # the work's id in every event named below
    opening: frozenset[str]  # open, held by their `owner` if they name one
    owner_from: Mapping[str, str]  # event type -> the field naming who holds it now
    reopening: frozenset[str]
    closing: frozenset[str]

    def entry_of(self, envelope: EventEnvelope) -> tuple[str, Entry] | None:
        """(work id, the fields it sets) for an event that changes the book; None otherwise."""
        data, kind = envelope.data, envelope.type
        if kind in self.opening:
            return data[self.id_field], {"owner": data.get("owner"), "open": True}
        if kind in self.owner_from:
            return data[self.id_field], {"owner": data[self.owner_from[kind]]}
        if kind in self.reopening:
            return data[self.id_field], {"open": True}
        if kind in self.closing:
            return data[self.id_field], {"open": False}
        return None
