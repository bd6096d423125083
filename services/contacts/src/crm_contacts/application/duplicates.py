"""Reporting likely duplicates after a command: look the customer's points up, keep the index
in step, and record what was found on the customer's stream."""

from __future__ import annotations

from dataclasses import dataclass

from crm_contacts_contracts.events import DuplicateReason
from crm_kernel.application import CommandResult
from crm_kernel.domain.envelope import Metadata

from crm_contacts.application.customers import Customers
from crm_contacts.application.ports import DuplicateLookup
from crm_contacts.domain.customer import Customer, RecordPossibleDuplicates
from crm_contacts.domain.duplicates import REASONS, lookup_kind


@dataclass(frozen=True)
class Duplicate:
    customer_id: str
    reason: DuplicateReason


@dataclass(frozen=True)
class Outcome:
    """A command's result and the likely duplicates it revealed (reported, not refused)."""

    result: CommandResult
    possible_duplicates: list[Duplicate]


class DuplicateReport:
    def __init__(self, customers: Customers, index: DuplicateLookup) -> None:
        self._customers = customers
        self._index = index

    async def points(
        self,
        customer_id: str,
        state: Customer,
        point_ids: list[str],
        metadata: Metadata,
        result: CommandResult,
    ) -> Outcome:
        """Match the customer's points `point_ids` against everyone else's, and index them."""
        found: dict[str, DuplicateReason] = {}
        for point_id in point_ids:
            point = state.points[point_id]
            kind = lookup_kind(point.kind)
            if kind is None:
                continue
            for other in await self._index.add_value(customer_id, kind, point.value):
                if other != customer_id:
                    found.setdefault(other, REASONS[kind])
        return await self.record(customer_id, found, metadata, result)

    async def record(
        self,
        customer_id: str,
        found: dict[str, DuplicateReason],
        metadata: Metadata,
        result: CommandResult,
    ) -> Outcome:
        if found:
            command = RecordPossibleDuplicates(customer_id=customer_id, found=tuple(found.items()))
            result = await self._customers.handle(command, metadata)
        return Outcome(result, [Duplicate(c, r) for c, r in found.items()])
