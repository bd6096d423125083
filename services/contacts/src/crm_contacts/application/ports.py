"""What the contacts use cases need from outside the event store, as ports: the adapters
(crm_contacts.adapters) implement them on MongoDB, the unit tests with fakes."""

from __future__ import annotations

from typing import Protocol


class DuplicateLookup(Protocol):
    """Who else has this e-mail or phone (`kind`: "email" or "phone"), and who else in this
    organisation has a similar name. Derived from the events; advisory (ADR 6)."""

    async def add_value(self, customer_id: str, kind: str, value: str) -> list[str]:
        """Index the customer's value; returns who had it before (one round trip)."""
        ...

    async def remove_value(self, customer_id: str, kind: str, value: str) -> None: ...

    async def similar_members(self, organisation_id: str, name: str) -> list[str]: ...

    async def add_member(self, organisation_id: str, customer_id: str, name: str) -> None: ...

    async def remove_member(self, organisation_id: str, customer_id: str) -> None: ...

    async def forget(self, customer_id: str) -> None:
        """Remove the customer from every entry (erasure, or merged away)."""
        ...


class Upgrades(Protocol):
    """One-off upgrades of the service's data that have run to their end."""

    async def is_done(self, name: str) -> bool: ...

    async def mark_done(self, name: str, customers: int) -> None:
        """Record the upgrade as done (a second replica's record of it is no error)."""
        ...
