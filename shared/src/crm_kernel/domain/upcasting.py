"""Upcasters: how an event stored under an old version of its contract reads today (DESIGN §4,
ADR 45). A breaking change to a contract is a new version plus an upcaster from the old one;
every envelope is built through them (from the store, the wire, the timeline), so deciders,
folds and replays only ever see current versions, while the store keeps what was written.

An upcaster rewrites the data's plain fields only: personal fields hold ciphertext under the
customer's key, and travel as they are (renamed at most).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crm_kernel.domain.events import parse_type_name

Data = dict[str, Any]
Upcaster = Callable[[Data], Data]
MAX_STEPS = 20


class Upcasters:
    def __init__(self) -> None:
        self._steps: dict[str, tuple[str, Upcaster]] = {}

    def register(self, old: str, new: str, upcast: Upcaster) -> None:
        """`upcast` reads data of type `old` as type `new` (its next version)."""
        (context, name, version), (new_context, new_name, new_version) = (
            parse_type_name(old),
            parse_type_name(new),
        )
        if (context, name, version + 1) != (new_context, new_name, new_version):
            raise ValueError(f"{old} upcasts to its next version, not to {new}")
        if old in self._steps:
            raise ValueError(f"{old} has an upcaster already")
        self._steps[old] = (new, upcast)

    def __contains__(self, type_name: object) -> bool:
        return type_name in self._steps

    def current(self, type_name: str, data: Data) -> tuple[str, Data]:
        """The type and data as the current contract reads them."""
        for _ in range(MAX_STEPS):
            step = self._steps.get(type_name)
            if step is None:
                return type_name, data
            type_name, data = step[0], step[1](dict(data))
        raise ValueError(f"{type_name}: more than {MAX_STEPS} upcasts, a loop")

    def retired(self) -> list[str]:
        return sorted(self._steps)


UPCASTERS = Upcasters()
