"""A projector for read models with one document per key and no cross-document rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from crm_kernel.domain.envelope import EventEnvelope

from crm_projections.application.ports import ReadStore

Document = dict[str, Any]


class DocumentProjector:
    def __init__(
        self,
        store: ReadStore,
        key: Callable[[EventEnvelope], str | None],
        empty: Callable[[str], Document],
        fold: Callable[[Document, Iterable[EventEnvelope]], Document],
        max_rounds: int = 10,
    ) -> None:
        self._store, self._key, self._empty, self._fold = store, key, empty, fold
        self._max_rounds = max_rounds

    async def handle(self, envelopes: list[EventEnvelope]) -> None:
        batch: dict[str, list[EventEnvelope]] = defaultdict(list)
        for envelope in envelopes:
            key = self._key(envelope)
            if key is not None:
                batch[key].append(envelope)
        pending = dict(batch)
        for _ in range(self._max_rounds):
            if not pending:
                return
            current = await self._store.load_many(list(pending))
            changed: dict[str, tuple[int, Document]] = {}
            for key, events in pending.items():
                before = current.get(key)
                base = {k: v for k, v in before.items() if k != "_rev"} if before else None
                after = self._fold(base or self._empty(key), events)
                if after != base:
                    changed[key] = ((before or {}).get("_rev", 0), after)
            pending = {k: batch[k] for k in await self._store.save_many(changed)}
        raise RuntimeError(f"{len(pending)} documents kept losing write races")
