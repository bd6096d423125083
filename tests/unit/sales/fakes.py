"""An in-memory blind index for sales' use cases (crm_sales.application.ports.LeadLookup): it
keeps the values in clear, which is fine in a test, and is otherwise shaped like the MongoDB
adapter (values -> holders by role, points per customer)."""

from __future__ import annotations

from collections import defaultdict

from crm_sales.application.ports import Lookalikes


class InMemoryLeadIndex:
    def __init__(self) -> None:
        self.leads: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.customers: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.points: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)

    async def lookalikes(self, kind: str, value: str) -> Lookalikes:
        return Lookalikes(list(self.leads[kind, value]), list(self.customers[kind, value]))

    async def add_lead(self, lead_id: str, kind: str, value: str) -> None:
        if lead_id not in self.leads[kind, value]:
            self.leads[kind, value].append(lead_id)

    async def forget_lead(self, lead_id: str) -> None:
        for holders in self.leads.values():
            if lead_id in holders:
                holders.remove(lead_id)

    async def add_customer_point(
        self, customer_id: str, point_id: str, kind: str, value: str
    ) -> None:
        if customer_id not in self.customers[kind, value]:
            self.customers[kind, value].append(customer_id)
        self.points[customer_id][point_id] = (kind, value)

    async def remove_customer_point(self, customer_id: str, point_id: str) -> None:
        gone = self.points[customer_id].pop(point_id, None)
        if gone is not None and gone not in self.points[customer_id].values():
            self.customers[gone].remove(customer_id)

    async def forget_customer(self, customer_id: str) -> None:
        for point in self.points.pop(customer_id, {}).values():
            if customer_id in self.customers[point]:
                self.customers[point].remove(customer_id)

    def holding(self, holder: str) -> set[tuple[str, str]]:
        """Every value `holder` (a lead or a customer) is listed under."""
        both = [*self.leads.items(), *self.customers.items()]
        return {value for value, holders in both if holder in holders}
