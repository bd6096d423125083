"""The snapshot store port: one decider state per stream, kept beside it (ADR 20).

How a snapshot is made, sealed and checked is crm_kernel.snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Snapshot:
    stream_id: str
    version: int  # the stream's version the state covers
    commit_id: str  # the commit that ended at `version`
    position: int  # that commit's position: a store reset gives the same id another one
    schema: str
    customer_id: str | None  # whose key seals `state`; None: it holds no personal data
    state: str  # JSON, or sealed JSON (`pii:v1:...`) when `customer_id` is set


class SnapshotStore(Protocol):
    async def get(self, stream_id: str) -> Snapshot | None:
        """The stream's snapshot, None when there is none or it is malformed."""
        ...

    async def put(self, snapshot: Snapshot) -> None:
        """Keep `snapshot` unless one of the same or a later version is there already."""
        ...

    async def delete(self, stream_id: str) -> None: ...
