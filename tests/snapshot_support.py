"""Helpers of the long-stream tests (ADR 20): a customer handler with snapshots, and a store
that counts what commands read from it."""

from __future__ import annotations

from typing import Any

from crm_contacts.domain.customer import customer_decider
from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.ports.eventstore import Commit
from crm_kernel.relay import Relay


class CountingStore:
    """An event store that counts the events read through it (streams and single commits)."""

    def __init__(self, store: Any) -> None:
        self.inner = store
        self.events_read = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def read_stream(self, stream_id: str, after: int = 0) -> list[EventEnvelope]:
        events: list[EventEnvelope] = await self.inner.read_stream(stream_id, after=after)
        self.events_read += len(events)
        return events

    async def read_commit(self, commit_id: str) -> Commit | None:
        commit: Commit | None = await self.inner.read_commit(commit_id)
        self.events_read += len(commit.events) if commit else 0
        return commit


def snapshotting_customers(
    store: Any, keys: Any, publisher: Any, snapshots: Any, interval: int, decider: Any = None
) -> CommandHandler[Any, Any]:
    """The contacts customer handler, snapshotting every `interval` events."""
    return CommandHandler(
        source="crm.contacts",
        decider=decider or customer_decider,
        store=store,
        keys=keys,
        relay=Relay(store, publisher),
        snapshots=snapshots,
        snapshot_interval=interval,
    )
