"""The application shell of a write service: load, decide, append, publish."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar
from uuid import UUID

import structlog

from crm_kernel import metrics, wire
from crm_kernel.domain.decider import Decider
from crm_kernel.domain.envelope import EventEnvelope, Metadata, wrap
from crm_kernel.domain.errors import ConflictError, DomainError, GoneError
from crm_kernel.ports.eventstore import Commit, EventStore
from crm_kernel.ports.keystore import KeyStore
from crm_kernel.ports.snapshots import Snapshot, SnapshotStore
from crm_kernel.privacy import key_owners, needs_key, seal_all, unseal_with
from crm_kernel.relay import Relay
from crm_kernel.snapshots import codec_for, snapshot_of, state_text

S = TypeVar("S")
C = TypeVar("C")

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CommandResult:
    stream_id: str
    version: int
    position: int
    event_ids: list[UUID]
    # The stream's state after the command, so callers need not read the stream again.
    state: Any = None


@dataclass(frozen=True)
class Loaded(Generic[S]):
    """A stream's state as loaded: from its snapshot, if one was usable, and later events."""

    state: S
    version: int
    base: int = 0  # the version the snapshot it started from covered; 0: folded from scratch
    # Customers whose keys sealed events the state was folded from: a snapshot of it is
    # sealed under that key (and not kept when there are several).
    owners: frozenset[str] = frozenset()
    # The keys the load read (erased customers have none): the command seals with them and
    # knows those customers were not erased, without asking the key store again (ADR 27).
    keys: Mapping[str, bytes] = field(default_factory=dict)


class CommandHandler(Generic[S, C]):
    """`snapshots` and `snapshot_interval` > 0: the state is snapshotted after a command once
    that many events came since the last snapshot (or the start), if the decider has a
    `snapshot_version`; loads start from the snapshot (ADR 20)."""

    def __init__(
        self,
        *,
        source: str,
        decider: Decider[S, C],
        store: EventStore,
        keys: KeyStore,
        relay: Relay,
        snapshots: SnapshotStore | None = None,
        snapshot_interval: int = 0,
    ) -> None:
        self._source = source
        self._decider = decider
        self._store = store
        self._keys = keys
        self._relay = relay
        self._snapshots = snapshots if snapshot_interval > 0 else None
        self._codec = codec_for(decider) if self._snapshots is not None else None
        self._interval = snapshot_interval

    async def load(self, stream_id: str) -> tuple[S, int]:
        """The stream's current state and version (personal fields decrypted)."""
        loaded = await self.load_stream(stream_id)
        return loaded.state, loaded.version

    async def load_stream(self, stream_id: str) -> Loaded[S]:
        snapshot = await self._anchored_snapshot(stream_id)
        if snapshot is not None:
            later = await self._store.read_stream(stream_id, after=snapshot.version)
            owners = key_owners(later) | ({snapshot.customer_id} if snapshot.customer_id else set())
            found = await self._keys.get_many(owners) if owners else {}
            state = self._restore(snapshot, found)
            if state is not None:
                metrics.SNAPSHOTS.labels("used").inc()
                history = unseal_with(later, found)
                return Loaded(
                    state=self._decider.fold_onto(state, (e.event() for e in history)),
                    version=history[-1].stream_version if history else snapshot.version,
                    base=snapshot.version,
                    owners=frozenset(owners),
                    keys=found,
                )
        return await self._folded(await self._store.read_stream(stream_id))

    async def _folded(self, stored: list[EventEnvelope]) -> Loaded[S]:
        """A whole stream's events folded from scratch, unsealed with their keys."""
        owners = key_owners(stored)
        found = await self._keys.get_many(owners) if owners else {}
        history = unseal_with(stored, found)
        return Loaded(
            state=self._decider.fold(e.event() for e in history),
            version=history[-1].stream_version if history else 0,
            owners=frozenset(owners),
            keys=found,
        )

    async def _anchored_snapshot(self, stream_id: str) -> Snapshot | None:
        """The stream's snapshot if this code made it and the store has the commit it
        covers, unchanged: anything else (a reset store, a foreign document) is ignored."""
        if self._snapshots is None or self._codec is None:
            return None
        if 0 < self._store.known_version(stream_id) < self._interval:
            # No snapshot is made before `interval` events, and this process saw the stream
            # shorter: most likely there is none, and one read per command is saved. Should
            # another writer have taken it further, the whole fold is still right, only longer.
            return None
        snapshot = await self._snapshots.get(stream_id)
        if snapshot is None:
            return None
        commit = await self._store.read_commit(snapshot.commit_id)
        if (
            snapshot.stream_id == stream_id
            and snapshot.schema == self._codec.schema
            and commit is not None
            and commit.stream_id == stream_id
            and commit.version == snapshot.version
            and commit.position == snapshot.position
        ):
            return snapshot
        metrics.SNAPSHOTS.labels("ignored").inc()
        return None

    def _restore(self, snapshot: Snapshot, found: Mapping[str, bytes]) -> S | None:
        """The snapshot's state, None if it cannot be read: its customer's key is gone (an
        erasure), or it does not decode (then the events tell the state)."""
        assert self._codec is not None
        key = found.get(snapshot.customer_id) if snapshot.customer_id else None
        try:
            text = state_text(snapshot, key)
            state = None if text is None else self._codec.load(text)
        except Exception as error:  # a corrupt snapshot is a cache miss, never an outage
            log.warning("snapshot ignored", stream_id=snapshot.stream_id, error=str(error))
            state = None
        if state is None:
            metrics.SNAPSHOTS.labels("ignored").inc()
        return state

    async def drop_snapshot(self, stream_id: str) -> None:
        """Forget the stream's snapshot (an erasure: its key is gone already, this tidies)."""
        if self._snapshots is not None:
            await self._snapshots.delete(stream_id)

    async def _keep_snapshot(self, commit: Commit, state: S, owners: frozenset[str]) -> None:
        """Snapshot `state` as of `commit`: sealed under its customer's key if it was folded
        from personal data. Skipped for a stream sealed under several customers' keys, a
        customer whose key is gone, or a state that JSON does not carry whole; a failure only
        costs the next loads a longer fold."""
        assert self._snapshots is not None and self._codec is not None
        try:
            if len(owners) > 1 or not self._codec.carries(state):
                metrics.SNAPSHOTS.labels("skipped").inc()
                return
            owner = next(iter(owners), None)
            key = (await self._keys.get_many([owner])).get(owner) if owner else None
            if owner is not None and key is None:
                metrics.SNAPSHOTS.labels("skipped").inc()  # erased: nothing is sealed for them
                return
            text = self._codec.dump(state)
            await self._snapshots.put(snapshot_of(commit, self._codec.schema, text, owner, key))
            metrics.SNAPSHOTS.labels("written").inc()
        except Exception as error:
            log.warning("snapshot not written", stream_id=commit.stream_id, error=str(error))

    async def handle(
        self,
        stream_id: str,
        command: C,
        metadata: Metadata,
        expected_version: int | None = None,
        keys: Mapping[str, bytes] | None = None,
    ) -> CommandResult:
        """`keys`: customers' keys the caller read for this same command (loading the
        customer it names, `Loaded.keys`): sealing uses them instead of looking them up."""
        name = type(command).__name__
        if expected_version in (None, 0) and (
            opened := await self._open(stream_id, command, metadata, keys or {})
        ):
            metrics.COMMANDS.labels(name, "accepted").inc()
            return opened
        if expected_version is None and (
            known := await self._on_known(stream_id, command, metadata, keys or {})
        ):
            metrics.COMMANDS.labels(name, "accepted").inc()
            return known
        loaded = await self.load_stream(stream_id)
        if keys:
            loaded = replace(loaded, keys={**keys, **loaded.keys})
        state, version = loaded.state, loaded.version
        if expected_version is not None and expected_version != version:
            metrics.COMMANDS.labels(name, "conflict").inc()
            raise ConflictError(
                f"stream {stream_id} is at version {version}, not {expected_version}"
            )
        try:
            events = self._decider.decide(state, command)
        except Exception:
            metrics.COMMANDS.labels(name, "refused").inc()
            raise
        if not events:
            # Nothing new to record (an idempotent repeat): the stream stays as it is.
            metrics.COMMANDS.labels(name, "unchanged").inc()
            return CommandResult(
                stream_id=stream_id, version=version, position=0, event_ids=[], state=state
            )
        result = await self._record(stream_id, loaded, events, metadata)
        metrics.COMMANDS.labels(name, "accepted").inc()
        return result

    async def _refuse_erased(
        self, envelopes: list[EventEnvelope], loaded_keys: Mapping[str, bytes]
    ) -> None:
        """GoneError (410) for events about an erased customer, in every context, whether
        they hold personal data or not (ADR 16). Other contexts learn nothing of erasures, so
        the key store's tombstone (ADR 13) answers. Customers whose key sealing or this
        command's load just fetched are known not to be erased (a tombstone refuses the key):
        only the others are looked up, so a command costs one key-store read at most."""
        if self._decider.decides_erasure:
            return
        keyed = {e.customer_id for e in envelopes if needs_key(e)} | set(loaded_keys)
        for customer_id in {e.customer_id for e in envelopes if e.customer_id} - keyed:
            if await self._keys.is_erased(customer_id):
                raise GoneError(
                    f"customer {customer_id} was erased: nothing more is recorded about them",
                    field="customer_id",
                )

    async def _on_known(
        self, stream_id: str, command: C, metadata: Metadata, keys: Mapping[str, bytes]
    ) -> CommandResult | None:
        """A command on a stream this process holds whole in memory is decided on it without
        reading the store for commits it has not seen (ADR 27): if another writer went
        further, the append's commit id refuses it. Only an append confirms the state it
        was decided on; None (a refusal, nothing to record, a lost race): decide as usual."""
        if self._snapshots is not None and self._store.known_version(stream_id) >= self._interval:
            return None  # a longer stream starts from its snapshot
        stored = self._store.known_stream(stream_id)
        if stored is None:
            return None
        loaded = await self._folded(stored)
        if keys:
            loaded = replace(loaded, keys={**keys, **loaded.keys})
        try:
            events = self._decider.decide(loaded.state, command)
        except Exception:
            return None  # the stored stream may decide otherwise
        if not events:
            return None
        try:
            return await self._record(stream_id, loaded, events, metadata)
        except (ConflictError, GoneError):
            return None  # the stream moved on (or its customer was erased): read it

    async def _open(
        self, stream_id: str, command: C, metadata: Metadata, keys: Mapping[str, bytes]
    ) -> CommandResult | None:
        """A command that would open a new stream (a registration, a new order) is decided
        on the initial state and appended at version 0 without reading the stream first: the
        commit's unique id refuses it if the stream exists after all. None: decide as usual."""
        empty = Loaded(state=self._decider.initial_state(), version=0, keys=keys)
        try:
            events = self._decider.decide(empty.state, command)
        except Exception:
            return None  # refused on an empty stream: the stream's real state decides
        if not events:
            return None
        try:
            return await self._record(stream_id, empty, events, metadata)
        except (ConflictError, GoneError):
            return None  # the stream exists (or its customer was erased): read it, decide again

    async def _record(
        self, stream_id: str, loaded: Loaded[S], events: list[Any], metadata: Metadata
    ) -> CommandResult:
        envelopes = wrap(
            events,
            source=self._source,
            stream_id=stream_id,
            expected_version=loaded.version,
            metadata=metadata,
        )
        # A stream that makes its customer, opened on no read: the key is most likely new.
        new_customer = self._decider.opens_customer and loaded.version == 0
        sealed = await seal_all(envelopes, self._keys, loaded.keys, new_customer)
        await self._refuse_erased(envelopes, loaded.keys)
        _publishable(sealed)
        commit = await self._store.append(stream_id, loaded.version, sealed)
        metrics.EVENTS_APPENDED.inc(len(envelopes))
        try:
            # Earlier pending commits of the stream go first, keeping version order on Kafka.
            await self._relay.publish_appended(commit)
        except Exception as error:
            log.warning("publish after append failed; the relay will retry", error=str(error))
        state = self._decider.fold_onto(loaded.state, events)
        if self._codec is not None and commit.version - loaded.base >= self._interval:
            # After the append, never inside the fold: a snapshot only spares later loads.
            await self._keep_snapshot(commit, state, loaded.owners | key_owners(envelopes))
        return CommandResult(
            stream_id=stream_id,
            version=commit.version,
            position=commit.position,
            event_ids=[e.event_id for e in envelopes],
            state=state,
        )


@dataclass
class CommandHandlers:
    """A service's command handlers, one per decider, all on the same store, keys and relay:
    `of(decider)` is typed by the decider, so no caller names a handler by a string."""

    source: str
    store: EventStore
    keys: KeyStore
    relay: Relay
    snapshots: SnapshotStore | None = None
    snapshot_interval: int = 0
    _made: dict[Decider[Any, Any], CommandHandler[Any, Any]] = field(default_factory=dict)

    def of(self, decider: Decider[S, C]) -> CommandHandler[S, C]:
        if decider not in self._made:
            self._made[decider] = CommandHandler(
                source=self.source,
                decider=decider,
                store=self.store,
                keys=self.keys,
                relay=self.relay,
                snapshots=self.snapshots,
                snapshot_interval=self.snapshot_interval,
            )
        handler: CommandHandler[S, C] = self._made[decider]
        return handler


# What one Kafka message may hold: the broker's default (1 MiB, `message.max.bytes`) less
# room for the record's framing. A commit whose event is larger could be stored but never
# published, so it is refused before it is stored.
MAX_MESSAGE_BYTES = 1_000_000


class TooLargeError(DomainError):
    status_code = 413


def _publishable(envelopes: list[EventEnvelope]) -> None:
    for envelope in envelopes:
        message = wire.encode(envelope)
        size = (
            len(message.key)
            + len(message.value)
            + sum(len(name) + len(value) for name, value in message.headers)
        )
        if size > MAX_MESSAGE_BYTES:
            raise TooLargeError(
                f"the event {envelope.type} would be {size:,} bytes on Kafka, more than "
                f"{MAX_MESSAGE_BYTES:,}: send less (nothing was recorded)"
            )
