"""Snapshots of aggregate state, kept beside the streams (ADR 20): a cache, never the truth.

A snapshot is a decider's state as it stood after one commit: the version it covers, the id
and position of that commit (checked against the store before use, so a snapshot from a reset
or another store is ignored), which state code made it (`schema`: the state's type and the
decider's `snapshot_version`), and the state as JSON. A state folded from personal data is
sealed under that customer's key like the events were, so shredding the key erases the
snapshot too; a stream with no personal data keeps its state as plain JSON.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter

from crm_kernel.domain.decider import Decider
from crm_kernel.domain.events import ERASED
from crm_kernel.ports.eventstore import Commit
from crm_kernel.ports.snapshots import Snapshot
from crm_kernel.privacy import PREFIX, decrypt_value, encrypt_value

S = TypeVar("S")


class StateCodec(Generic[S]):
    """One decider's state to JSON and back, typed by its state class (pydantic)."""

    def __init__(self, state_type: type[S], version: int) -> None:
        self._adapter: TypeAdapter[S] = TypeAdapter(state_type)
        self.schema = f"{state_type.__module__}.{state_type.__qualname__}/v{version}"

    def dump(self, state: S) -> str:
        return self._adapter.dump_json(state).decode()

    def load(self, text: str) -> S:
        return self._adapter.validate_json(text)

    def carries(self, state: S) -> bool:
        """Whether `state` comes back equal from JSON: only such states are snapshotted."""
        return self.load(self.dump(state)) == state


def codec_for(decider: Decider[S, Any]) -> StateCodec[S] | None:
    """The codec of a decider's state; None if it has no `snapshot_version` or its state
    does not survive JSON (then it is simply never snapshotted)."""
    if decider.snapshot_version is None:
        return None
    initial = decider.initial_state()
    try:
        codec = StateCodec(type(initial), decider.snapshot_version)
        return codec if codec.carries(initial) else None
    except Exception:  # no schema for this type (pydantic cannot describe it)
        return None


def _field(stream_id: str, version: int, schema: str) -> str:
    # Bound into the ciphertext: a sealed state cannot be passed off as another stream's,
    # version's or code's.
    return f"snapshot/{stream_id}@{version}/{schema}"


def snapshot_of(
    commit: Commit, schema: str, text: str, customer_id: str | None, key: bytes | None
) -> Snapshot:
    """The snapshot of the state `text` after `commit`, sealed under `key` for `customer_id`."""
    state = text
    if customer_id is not None:
        if key is None:
            raise ValueError("a state folded from personal data is only kept sealed")
        field = _field(commit.stream_id, commit.version, schema)
        state = encrypt_value(key, customer_id, field, text)
    return Snapshot(
        stream_id=commit.stream_id,
        version=commit.version,
        commit_id=commit.commit_id,
        position=commit.position,
        schema=schema,
        customer_id=customer_id,
        state=state,
    )


def state_text(snapshot: Snapshot, key: bytes | None) -> str | None:
    """The snapshot's JSON, None when it cannot be read (its customer's key is gone)."""
    sealed = snapshot.state.startswith(PREFIX)
    if snapshot.customer_id is None:
        return None if sealed else snapshot.state
    if not sealed:
        return None  # personal state is only ever kept sealed: not one of ours
    field = _field(snapshot.stream_id, snapshot.version, snapshot.schema)
    text = decrypt_value(key, snapshot.customer_id, field, snapshot.state)
    return text if isinstance(text, str) and text != ERASED else None
