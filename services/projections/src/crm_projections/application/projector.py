"""The projector: load the batch's documents in one query, fold in memory, write in one bulk."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Protocol

from crm_kernel import metrics
from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.privacy import KeyStore, unseal_all

from crm_projections.domain import customer_360

Document = dict[str, Any]
MAX_CONFLICT_ROUNDS = 10


class ReadStore(Protocol):
    async def load_many(self, ids: list[str]) -> dict[str, Document]: ...

    async def save_many(self, changed: dict[str, tuple[int, Document]]) -> set[str]: ...


class Customer360Projector:
    def __init__(self, store: ReadStore, keys: KeyStore) -> None:
        self._store = store
        self._keys = keys

    async def handle(self, envelopes: list[EventEnvelope]) -> None:
        with metrics.BATCH_SECONDS.time():
            readable = await unseal_all(envelopes, self._keys)
            by_customer: dict[str, list[EventEnvelope]] = defaultdict(list)
            for envelope in readable:
                if envelope.customer_id is not None:
                    by_customer[envelope.customer_id].append(envelope)
            pending = dict(by_customer)
            for _ in range(MAX_CONFLICT_ROUNDS):
                pending = {i: by_customer[i] for i in await self._fold_and_save(pending)}
                if not pending:
                    break
            else:
                raise RuntimeError(f"{len(pending)} documents kept losing write races")
        metrics.EVENTS_PROJECTED.inc(len(envelopes))

    async def _fold_and_save(self, batch: dict[str, list[EventEnvelope]]) -> set[str]:
        current = await self._store.load_many(list(batch))
        changed: dict[str, tuple[int, Document]] = {}
        for customer_id, events in batch.items():
            before = current.get(customer_id)
            base = {k: v for k, v in before.items() if k != "_rev"} if before else None
            after = customer_360.fold(base or customer_360.empty(customer_id), events)
            if after != base:
                changed[customer_id] = ((before or {}).get("_rev", 0), after)
            else:
                metrics.EVENTS_SKIPPED.inc(len(events))
        return await self._store.save_many(changed)
