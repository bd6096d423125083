"""Right of access: every event the contacts context holds on a customer, readable."""

from __future__ import annotations

from typing import Any

from crm_kernel.domain.envelope import utcnow
from crm_kernel.domain.errors import NotFoundError
from crm_kernel.domain.events import as_current
from crm_kernel.ports.eventstore import EventStore
from crm_kernel.ports.keystore import KeyStore
from crm_kernel.privacy import unseal_all

from crm_contacts.application.customers import Customers


class Export:
    def __init__(self, customers: Customers, store: EventStore, keys: KeyStore) -> None:
        self._customers = customers
        self._store = store
        self._keys = keys

    async def export(self, customer_id: str) -> dict[str, Any]:
        state = await self._customers.state(customer_id)
        if not state.registered:
            raise NotFoundError(f"unknown customer {customer_id}")
        events = await unseal_all(await self._store.read_customer(customer_id), self._keys)
        return {
            "customer_id": customer_id,
            "exported_at": utcnow().isoformat(),
            "erased": state.erased,
            "merged_into": state.merged_into,
            "events": [
                {**e.model_dump(mode="json"), "data": as_current(e.type, e.data)} for e in events
            ],
        }
