"""The revocation list port: ids of tokens revoked before they expire (ADR 19)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Revocations(Protocol):
    async def active(self, now: datetime) -> frozenset[str]: ...
