"""The deadline store port: deadlines a context's policies set from its events, raised by the
kernel's scheduler when they come (ADR 44)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Deadline:
    key: str  # what it is for, unique ("payment-reminder:<invoice>:<instalment>:<level>")
    kind: str  # which handler raises it
    due_at: datetime
    data: dict[str, Any] = field(default_factory=dict)  # what the handler needs: ids, no text


class DeadlineStore(Protocol):
    async def set_many(self, deadlines: Sequence[Deadline]) -> None:
        """Keep each deadline by its key (set again: moved to its new time)."""
        ...

    async def cancel(self, keys: Sequence[str]) -> None: ...

    async def due(self, now: datetime, limit: int) -> list[Deadline]:
        """Those due by `now`, earliest first."""
        ...

    async def done(self, deadline: Deadline) -> None:
        """Forget it once raised, unless it was moved meanwhile."""
        ...
