"""Keeping sales' blind index in step with contacts' customers (ADR 28): each batch of
contacts' events is opened with the shared key vault and folded into the index at once. It
is idempotent (a set of holders per value, a map of points per customer), so a redelivered or
replayed batch changes nothing."""

from __future__ import annotations

from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.ports.keystore import KeyStore
from crm_kernel.privacy import unseal_all

from crm_sales.application.ports import LeadLookup
from crm_sales.domain.customer_points import LEARNT_FROM, changes_of


class CustomerPoints:
    def __init__(self, index: LeadLookup, keys: KeyStore) -> None:
        self._index = index
        self._keys = keys

    async def learn(self, envelopes: list[EventEnvelope]) -> None:
        relevant = [e for e in envelopes if e.type in LEARNT_FROM]
        opened = await unseal_all(relevant, self._keys)
        await self._index.learn_customers([c for e in opened for c in changes_of(e.event())])
