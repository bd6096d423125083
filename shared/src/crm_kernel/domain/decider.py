"""The decider pattern: pure decide and evolve, folded by the application shell."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from crm_kernel.domain.events import DomainEvent

S = TypeVar("S")
C = TypeVar("C")


@dataclass(frozen=True)
class Decider(Generic[S, C]):
    """`decide(state, command) -> events` raises DomainError or returns events;
    `evolve(state, event) -> state` folds one event. Both are pure."""

    initial_state: Callable[[], S]
    decide: Callable[[S, C], list[DomainEvent]]
    evolve: Callable[[S, DomainEvent], S]
    # The shell refuses (410) any command that names an erased customer (`customer_id`),
    # before deciding. True only where the stream itself knows the erasure and records it
    # (contacts' customer streams, ADR 14): there the decider answers.
    decides_erasure: bool = False
    # The version of the state's shape and of what `evolve` makes of events: snapshots of
    # state (ADR 20) are kept only while it matches. Bump it whenever the state or `evolve`
    # changes; None: this decider's state is never snapshotted.
    snapshot_version: int | None = None

    def fold(self, events: Iterable[DomainEvent]) -> S:
        return self.fold_onto(self.initial_state(), events)

    def fold_onto(self, state: S, events: Iterable[DomainEvent]) -> S:
        for event in events:
            state = self.evolve(state, event)
        return state
