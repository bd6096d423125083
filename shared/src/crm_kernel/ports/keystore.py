"""The key store port: per-customer data keys (crm_kernel.privacy seals with them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class KeyStore(Protocol):
    """Where per-customer data keys live. Deleting a key erases the customer."""

    async def get_or_create(self, customer_id: str, likely_new: bool = False) -> bytes:
        """The customer's key, made on first use; GoneError once the customer was erased.
        `likely_new`: the caller expects no key yet (a registration), so creating it is tried
        first; either way the answer is the same."""
        ...

    async def get_many(self, customer_ids: Iterable[str]) -> dict[str, bytes]: ...

    async def delete(self, customer_id: str) -> bool: ...

    async def is_erased(self, customer_id: str) -> bool:
        """Whether the customer's key was shredded (a tombstone): one lookup by id."""
        ...
