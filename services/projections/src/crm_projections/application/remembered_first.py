"""The live projector reads back first from what it remembers writing.

`WriteSignals` keeps the documents this instance last wrote, for readers (ADR 9). The projector
read the same documents back from the store at its next batch about those customers. It now
takes them from memory and reads only the rest. A remembered document can be stale only if
another writer changed it meanwhile (a rebalance, a database switch). Then the revision check
of the next write (`_rev`) fails, and the projector reads the stored document and folds again,
as after any lost race.
"""

from __future__ import annotations

from typing import Any

from crm_projections.application.ports import ReadStore
from crm_projections.application.write_signals import WriteSignals

Document = dict[str, Any]


class RememberedFirst:
    def __init__(self, store: ReadStore, signals: WriteSignals) -> None:
        self._store = store
        self._signals = signals

    async def load_many(self, ids: list[str]) -> dict[str, Document]:
        found: dict[str, Document] = {}
        missing = []
        for id_ in ids:
            remembered = self._signals.last_written(id_)
            if remembered is None:
                missing.append(id_)
            else:
                found[id_] = remembered
        if missing:
            found |= await self._store.load_many(missing)
        return found

    async def save_many(self, changed: dict[str, tuple[int, Document]]) -> set[str]:
        lost = await self._store.save_many(changed)
        self._signals.drop(lost)  # the next fold of those starts from the store
        return lost
