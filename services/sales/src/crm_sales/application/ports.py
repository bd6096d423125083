"""What the sales use cases need from outside the event store, as ports: the adapters
(crm_sales.adapters) implement them on MongoDB, the unit tests with fakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Lookalikes:
    """Who else holds a normalised e-mail or phone: leads (open or not) and customers."""

    leads: list[str] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)


class LeadLookup(Protocol):
    """The blind index of leads' and customers' e-mails and phones (`kind`: "email" or
    "phone"), in sales' own database (ADR 28). Leads enter it on capture; customers from
    contacts' events, read off Kafka. Advisory, as contacts' duplicate lookup (ADR 6)."""

    async def lookalikes(self, kind: str, value: str) -> Lookalikes: ...

    async def add_lead(self, lead_id: str, kind: str, value: str) -> None: ...

    async def forget_lead(self, lead_id: str) -> None:
        """Remove the lead from every entry (its erasure)."""
        ...

    async def add_customer_point(
        self, customer_id: str, point_id: str, kind: str, value: str
    ) -> None: ...

    async def remove_customer_point(self, customer_id: str, point_id: str) -> None: ...

    async def forget_customer(self, customer_id: str) -> None:
        """Remove the customer from every entry (erased, or merged away)."""
        ...
