"""Registering a customer, and adding or removing a contact point: each keeps the duplicate
lookup in step and reports the customers that look alike."""

from __future__ import annotations

from crm_kernel.application import CommandResult
from crm_kernel.domain.envelope import Metadata

from crm_contacts.application.customers import Customers
from crm_contacts.application.duplicates import DuplicateReport, Outcome
from crm_contacts.application.ports import DuplicateLookup
from crm_contacts.domain.customer import (
    AddContactPoint,
    Customer,
    RegisterCustomer,
    RemoveContactPoint,
)
from crm_contacts.domain.duplicates import lookup_kind


class Registration:
    def __init__(self, customers: Customers, index: DuplicateLookup) -> None:
        self._customers = customers
        self._index = index
        self._duplicates = DuplicateReport(customers, index)

    async def register(self, command: RegisterCustomer, metadata: Metadata) -> Outcome:
        result = await self._customers.handle(command, metadata)
        state: Customer = result.state
        return await self._duplicates.points(
            command.customer_id, state, list(state.points), metadata, result
        )

    async def add_contact_point(self, command: AddContactPoint, metadata: Metadata) -> Outcome:
        result = await self._customers.handle(command, metadata)
        state: Customer = result.state
        return await self._duplicates.points(
            command.customer_id, state, [command.point_id], metadata, result
        )

    async def remove_contact_point(
        self, command: RemoveContactPoint, metadata: Metadata
    ) -> CommandResult:
        point = (await self._customers.state(command.customer_id)).points.get(command.point_id)
        result = await self._customers.handle(command, metadata)
        kind = lookup_kind(point.kind) if point else None
        if point and kind:
            await self._index.remove_value(command.customer_id, kind, point.value)
        return result
