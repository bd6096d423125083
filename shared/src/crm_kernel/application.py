"""The application shell of a write service: load, decide, append, publish."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

import structlog

from crm_kernel import metrics, wire
from crm_kernel.domain.decider import Decider
from crm_kernel.domain.envelope import EventEnvelope, Metadata, wrap
from crm_kernel.domain.errors import ConflictError, DomainError, GoneError
from crm_kernel.eventstore import EventStore
from crm_kernel.privacy import KeyStore, needs_key, seal_all, unseal_all
from crm_kernel.relay import Relay

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


class CommandHandler(Generic[S, C]):
    def __init__(
        self,
        *,
        source: str,
        decider: Decider[S, C],
        store: EventStore,
        keys: KeyStore,
        relay: Relay,
    ) -> None:
        self._source = source
        self._decider = decider
        self._store = store
        self._keys = keys
        self._relay = relay

    async def load(self, stream_id: str) -> tuple[S, int]:
        """The stream's current state and version (personal fields decrypted)."""
        history = await unseal_all(await self._store.read_stream(stream_id), self._keys)
        version = history[-1].stream_version if history else 0
        return self._decider.fold(e.event() for e in history), version

    async def handle(
        self,
        stream_id: str,
        command: C,
        metadata: Metadata,
        expected_version: int | None = None,
    ) -> CommandResult:
        name = type(command).__name__
        if expected_version in (None, 0) and (
            opened := await self._open(stream_id, command, metadata)
        ):
            metrics.COMMANDS.labels(name, "accepted").inc()
            return opened
        state, version = await self.load(stream_id)
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
        result = await self._record(stream_id, version, state, events, metadata)
        metrics.COMMANDS.labels(name, "accepted").inc()
        return result

    async def _refuse_erased(self, envelopes: list[EventEnvelope]) -> None:
        """GoneError (410) for events about an erased customer, in every context, whether
        they hold personal data or not (ADR 16). Other contexts learn nothing of erasures, so
        the key store's tombstone (ADR 13) answers. Customers whose key sealing just fetched
        are known not to be erased (a tombstone refuses the key): only the others are looked
        up, so a command costs one key-store read either way."""
        if self._decider.decides_erasure:
            return
        keyed = {e.customer_id for e in envelopes if needs_key(e)}
        for customer_id in {e.customer_id for e in envelopes if e.customer_id} - keyed:
            if await self._keys.is_erased(customer_id):
                raise GoneError(
                    f"customer {customer_id} was erased: nothing more is recorded about them",
                    field="customer_id",
                )

    async def _open(self, stream_id: str, command: C, metadata: Metadata) -> CommandResult | None:
        """A command that would open a new stream (a registration, a new order) is decided
        on the initial state and appended at version 0 without reading the stream first: the
        commit's unique id refuses it if the stream exists after all. None: decide as usual."""
        state = self._decider.initial_state()
        try:
            events = self._decider.decide(state, command)
        except Exception:
            return None  # refused on an empty stream: the stream's real state decides
        if not events:
            return None
        try:
            return await self._record(stream_id, 0, state, events, metadata)
        except (ConflictError, GoneError):
            return None  # the stream exists (or its customer was erased): read it, decide again

    async def _record(
        self, stream_id: str, version: int, state: S, events: list[Any], metadata: Metadata
    ) -> CommandResult:
        envelopes = wrap(
            events,
            source=self._source,
            stream_id=stream_id,
            expected_version=version,
            metadata=metadata,
        )
        sealed = await seal_all(envelopes, self._keys)
        await self._refuse_erased(envelopes)
        _publishable(sealed)
        commit = await self._store.append(stream_id, version, sealed)
        metrics.EVENTS_APPENDED.inc(len(envelopes))
        try:
            # Earlier pending commits of the stream go first, keeping version order on Kafka.
            await self._relay.publish_appended(commit)
        except Exception as error:
            log.warning("publish after append failed; the relay will retry", error=str(error))
        return CommandResult(
            stream_id=stream_id,
            version=commit.version,
            position=commit.position,
            event_ids=[e.event_id for e in envelopes],
            state=self._decider.fold_onto(state, events),
        )


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
