"""An in-memory blind index for sales' use cases (crm_sales.application.ports.LeadLookup): it
keeps the values in clear, which is fine in a test, and is otherwise shaped like the MongoDB
adapter (values -> holders by role, points per customer)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from crm_sales.application.ports import Lookalikes
from crm_sales.domain.customer_points import Change, plan_index


class InMemoryLeadIndex:
    def __init__(self) -> None:
        self.leads: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.customers: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.points: dict[str, dict[str, tuple[str, str]]] = {}

    async def lookalikes(self, kind: str, value: str) -> Lookalikes:
        return Lookalikes(list(self.leads[kind, value]), list(self.customers[kind, value]))

    async def add_lead(self, lead_id: str, kind: str, value: str) -> None:
        if lead_id not in self.leads[kind, value]:
            self.leads[kind, value].append(lead_id)

    async def forget_lead(self, lead_id: str) -> None:
        for holders in self.leads.values():
            if lead_id in holders:
                holders.remove(lead_id)

    async def learn_customers(self, changes: Sequence[Change]) -> None:
        """The store adapter's own plan, on values keyed by (kind, value)."""
        plan = plan_index(self.points, changes, lambda kind, value: (kind, value))
        for value, customer in plan.released:
            self.customers[value].remove(customer)
        for value, customer in plan.held:
            if customer not in self.customers[value]:
                self.customers[value].append(customer)
        for customer, points in plan.points.items():
            if points is None:
                self.points.pop(customer, None)
            else:
                self.points[customer] = points

    def holding(self, holder: str) -> set[tuple[str, str]]:
        """Every value `holder` (a lead or a customer) is listed under."""
        both = [*self.leads.items(), *self.customers.items()]
        return {value for value, holders in both if holder in holders}
