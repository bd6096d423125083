"""A projector for read models with one document per key and no cross-document rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from crm_kernel.domain.envelope import EventEnvelope

from crm_projections.application.fold_and_save import (
    MAX_ROUNDS,
    Batch,
    Known,
    changes,
    fold_batch,
    until_saved,
)
from crm_projections.application.ports import ReadStore

Document = dict[str, Any]


class DocumentProjector:
    def __init__(
        self,
        store: ReadStore,
        key: Callable[[EventEnvelope], str | None],
        empty: Callable[[str], Document],
        fold: Callable[[Document, Iterable[EventEnvelope]], Document],
        max_rounds: int = MAX_ROUNDS,
    ) -> None:
        self._store, self._key, self._empty, self._fold = store, key, empty, fold
        self._max_rounds = max_rounds

    async def handle(self, envelopes: list[EventEnvelope]) -> None:
        batch: dict[str, list[EventEnvelope]] = defaultdict(list)
        for envelope in envelopes:
            key = self._key(envelope)
            if key is not None:
                batch[key].append(envelope)
        await until_saved(batch, self._round, {}, self._max_rounds)

    async def _round(self, batch: Batch, known: Known) -> set[str]:
        folded = await fold_batch(self._store, batch, self._empty, self._fold, known)
        return await self._store.save_many(changes(folded))
