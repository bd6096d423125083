"""The event store port: append with expected version, read a stream, read all, outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
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

    def known_version(self, stream_id: str) -> int:
        """A version this process knows the stream reached, without asking the store (other
        writers may have taken it further); 0 when it knows nothing of the stream."""
        ...

    def known_stream(self, stream_id: str) -> list[EventEnvelope] | None:
        """The stream's events as far as this process saw it, from memory alone (no store
        read); None when memory lacks any of its commits. Other writers may have taken it
        further: an append after these events then fails on the commit's id."""
        ...

    async def read_customer(self, customer_id: str) -> list[EventEnvelope]:
        """Every event about one customer, in commit order: for the right of access."""
        ...

    def read_all(self, batch_size: int = 500) -> AsyncIterator[Commit]:
        """Every commit in position order: for one-off upgrades of a service's data, replay and
        audit."""
        ...

    async def unpublished(
        self, stream_id: str | None = None, limit: int = 500, exclude: Collection[str] = ()
    ) -> list[Commit]:
        """Commits not yet on Kafka, per stream in version order (the outbox), but those of
        the streams in `exclude`."""
        ...

    async def mark_published(self, commits: list[Commit]) -> None: ...
