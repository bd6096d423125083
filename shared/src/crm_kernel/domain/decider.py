"""The decider pattern: pure decide and evolve, folded by the application shell."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from crm_kernel.domain.events import DomainEvent

S = TypeVar("S")
C = TypeVar("C")
K = TypeVar("K")
Decision = Callable[[S, K], list[DomainEvent]]


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
    # The stream's first command makes its customer (a registration): the customer's key most
    # likely does not exist yet, so the key store tries to create it before it looks it up.
    opens_customer: bool = False
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


class Decisions(Generic[S, C]):
    """A decide function made of one small decision per command type, registered with
    `@decisions.on(CommandType)`; `guard`, if given, runs first (e.g. "the customer exists").
    Calling it decides a command by its exact type; a type without a decision is a bug."""

    def __init__(self) -> None:
        self._by_type: dict[type[Any], Decision[S, Any]] = {}

    def on(
        self, command_type: type[K], guard: Callable[[S, K], None] | None = None
    ) -> Callable[[Decision[S, K]], Decision[S, K]]:
        def register(decision: Decision[S, K]) -> Decision[S, K]:
            if command_type in self._by_type:
                raise ValueError(f"{command_type.__name__} has a decision already")
            if guard is None:
                self._by_type[command_type] = decision
            else:

                def guarded(state: S, command: K) -> list[DomainEvent]:
                    guard(state, command)
                    return decision(state, command)

                self._by_type[command_type] = guarded
            return decision

        return register

    @property
    def command_types(self) -> frozenset[type[Any]]:
        return frozenset(self._by_type)

    def __call__(self, state: S, command: C) -> list[DomainEvent]:
        decision = self._by_type.get(type(command))
        if decision is None:
            raise TypeError(f"no decision for {type(command).__name__}")
        return decision(state, command)
