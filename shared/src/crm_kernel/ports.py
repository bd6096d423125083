"""The kernel's ports: what its mechanisms need from the outside world, in one place.

The event store (append with expected version, read a stream, the outbox), the per-customer
key store, the snapshot store, the event publisher and the token revocation list. Their
adapters live in `crm_kernel.adapters` (MongoDB and Kafka, and in-memory fakes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from crm_kernel.domain.envelope import EventEnvelope


@dataclass(frozen=True)
class Commit:
    """Events one command appended to one stream, atomically."""

    commit_id: str
    stream_id: str
    position: int
    events: list[EventEnvelope]
    # Which append attempt wrote it: the outbox marks attempts, so only the winner's is sent.
    attempt: str = ""

    @property
    def version(self) -> int:
        return self.events[-1].stream_version


class EventStore(Protocol):
    async def append(
        self, stream_id: str, expected_version: int, events: list[EventEnvelope]
    ) -> Commit:
        """Store the events after `expected_version` or raise ConflictError."""
        ...

    async def read_stream(self, stream_id: str, after: int = 0) -> list[EventEnvelope]:
        """The stream's events after version `after`, which must end a commit (a snapshot's
        version does: check it with `read_commit`)."""
        ...

    async def read_commit(self, commit_id: str) -> Commit | None:
        """One commit by its id, None if the store has none by that id."""
        ...

    async def read_customer(self, customer_id: str) -> list[EventEnvelope]:
        """Every event about one customer, in commit order: for the right of access."""
        ...

    def read_all(self, batch_size: int = 500) -> AsyncIterator[Commit]:
        """Every commit in position order: for replay and audit."""
        ...

    async def unpublished(
        self, stream_id: str | None = None, limit: int = 500, exclude: Collection[str] = ()
    ) -> list[Commit]:
        """Commits not yet on Kafka, per stream in version order (the outbox), but those of
        the streams in `exclude`."""
        ...

    async def mark_published(self, commits: list[Commit]) -> None: ...


class KeyStore(Protocol):
    """Where per-customer data keys live. Deleting a key erases the customer."""

    async def get_or_create(self, customer_id: str) -> bytes:
        """The customer's key, made on first use; GoneError once the customer was erased."""
        ...

    async def get_many(self, customer_ids: Iterable[str]) -> dict[str, bytes]: ...

    async def delete(self, customer_id: str) -> bool: ...

    async def is_erased(self, customer_id: str) -> bool:
        """Whether the customer's key was shredded (a tombstone): one lookup by id."""
        ...


@dataclass(frozen=True)
class Snapshot:
    """A decider's state after one commit, kept beside its stream (ADR 20, crm_kernel.snapshots)."""

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


class EventPublisher(Protocol):
    async def publish(self, envelopes: list[EventEnvelope]) -> None:
        """Return only once Kafka has acknowledged every event."""
        ...


class Revocations(Protocol):
    async def active(self, now: datetime) -> frozenset[str]: ...
