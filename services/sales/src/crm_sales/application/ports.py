"""What the sales use cases need from outside the event store, as ports: the adapters
(crm_sales.adapters) implement them on MongoDB, the unit tests with fakes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from crm_sales.domain.customer_points import Change


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

    async def learn_customers(self, changes: Sequence[Change]) -> None:
        """Fold a batch of what contacts' events say of customers' points, in order
        (replaying it changes nothing)."""
        ...
