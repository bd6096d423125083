"""In-memory fakes of the kernel's ports, for fast unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Iterable

from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.domain.errors import ConflictError, GoneError
from crm_kernel.ports.eventstore import Commit
from crm_kernel.ports.snapshots import Snapshot
from crm_kernel.privacy import new_key


class InMemoryEventStore:
    def __init__(self) -> None:
        self.commits: list[Commit] = []
        self.published: set[str] = set()

    async def append(
        self, stream_id: str, expected_version: int, events: list[EventEnvelope]
    ) -> Commit:
        current = len(await self.read_stream(stream_id))
        if current != expected_version:
            raise ConflictError(
                f"stream {stream_id} is at version {current}, not {expected_version}"
            )
        commit = Commit(
            commit_id=f"{stream_id}@{expected_version + 1:012d}",
            stream_id=stream_id,
            position=len(self.commits) + 1,
            events=list(events),
        )
        self.commits.append(commit)
        return commit

    async def read_stream(self, stream_id: str, after: int = 0) -> list[EventEnvelope]:
        return [
            e
            for c in self.commits
            if c.stream_id == stream_id
            for e in c.events
            if e.stream_version > after
        ]

    async def read_commit(self, commit_id: str) -> Commit | None:
        return next((c for c in self.commits if c.commit_id == commit_id), None)

    def known_version(self, stream_id: str) -> int:
        return sum(len(c.events) for c in self.commits if c.stream_id == stream_id)

    def known_stream(self, stream_id: str) -> list[EventEnvelope] | None:
        return [e for c in self.commits if c.stream_id == stream_id for e in c.events] or None

    async def read_customer(self, customer_id: str) -> list[EventEnvelope]:
        return [e for c in self.commits for e in c.events if e.customer_id == customer_id]

    async def read_all(self, batch_size: int = 500) -> AsyncIterator[Commit]:
        for commit in list(self.commits):
            yield commit

    async def unpublished(
        self, stream_id: str | None = None, limit: int = 500, exclude: Collection[str] = ()
    ) -> list[Commit]:
        pending = [
            c
            for c in self.commits
            if c.commit_id not in self.published and c.stream_id not in exclude
        ]
        if stream_id is not None:
            pending = [c for c in pending if c.stream_id == stream_id]
        return sorted(pending, key=lambda c: (c.stream_id, c.events[0].stream_version))[:limit]

    async def mark_published(self, commits: list[Commit]) -> None:
        self.published.update(c.commit_id for c in commits)


class InMemorySnapshotStore:
    def __init__(self) -> None:
        self.snapshots: dict[str, Snapshot] = {}

    async def get(self, stream_id: str) -> Snapshot | None:
        return self.snapshots.get(stream_id)

    async def put(self, snapshot: Snapshot) -> None:
        kept = self.snapshots.get(snapshot.stream_id)
        if kept is None or kept.version < snapshot.version:
            self.snapshots[snapshot.stream_id] = snapshot

    async def delete(self, stream_id: str) -> None:
        self.snapshots.pop(stream_id, None)


class InMemoryPublisher:
    def __init__(self) -> None:
        self.published: list[EventEnvelope] = []

    async def publish(self, envelopes: list[EventEnvelope]) -> None:
        self.published.extend(envelopes)


class InMemoryKeyStore:
    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}
        self.erased: set[str] = set()

    async def get_or_create(self, customer_id: str, likely_new: bool = False) -> bytes:
        if customer_id in self.erased:
            raise GoneError(
                f"customer {customer_id} was erased: nothing more is recorded about them"
            )
        return self.keys.setdefault(customer_id, new_key())

    async def get_many(self, customer_ids: Iterable[str]) -> dict[str, bytes]:
        return {c: self.keys[c] for c in customer_ids if c in self.keys}

    async def is_erased(self, customer_id: str) -> bool:
        return customer_id in self.erased

    async def delete(self, customer_id: str) -> bool:
        self.erased.add(customer_id)
        return self.keys.pop(customer_id, None) is not None
