"""Snapshots of stream state (ADR 20): a fold from a snapshot equals a fold from scratch, a
command folds only the events after the snapshot, and a snapshot that is stale, corrupt, made
by older state code or sealed under a shredded key is ignored: the events decide."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import pytest
from crm_contacts.domain import customer as c
from crm_contacts_contracts import events as ev
from crm_kernel.domain.decider import Decider
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import ConflictError, GoneError
from crm_kernel.domain.events import ERASED
from crm_kernel.privacy import PREFIX, new_key
from crm_kernel.snapshots import codec_for, state_text
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fakes import (
    InMemoryEventStore,
    InMemoryKeyStore,
    InMemoryPublisher,
    InMemorySnapshotStore,
)
from tests.snapshot_support import CountingStore, snapshotting_customers

CID = "c1"
STREAM = c.stream_of(CID)
META = Metadata(actor="test")
REGISTER = c.RegisterCustomer(
    customer_id=CID,
    kind=ev.PartyKind.PERSON,
    customer_type=ev.CustomerType.CONSUMER,
    name="Ana García",
    email="ana@example.com",
)
CODEC = codec_for(c.customer_decider)
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def tag(n: int) -> c.AddTag:
    return c.AddTag(customer_id=CID, tag=f"t{n}")


# Commands that touch every part of the customer's state.
COMMANDS = st.one_of(
    st.builds(lambda n: c.AddTag(customer_id=CID, tag=f"t{n}"), st.integers(0, 5)),
    st.builds(lambda n: c.RemoveTag(customer_id=CID, tag=f"t{n}"), st.integers(0, 5)),
    st.builds(
        lambda n: c.AddContactPoint(
            customer_id=CID,
            point_id=f"p{n}",
            kind=ev.ContactPointKind.EMAIL,
            value=f"a{n}@example.com",
        ),
        st.integers(0, 4),
    ),
    st.builds(lambda n: c.VerifyContactPoint(customer_id=CID, point_id=f"p{n}"), st.integers(0, 4)),
    st.builds(lambda n: c.RemoveContactPoint(customer_id=CID, point_id=f"p{n}"), st.integers(0, 4)),
    st.builds(
        lambda ch, pu, give: (c.GiveConsent if give else c.WithdrawConsent)(
            customer_id=CID, channel=ch, purpose=pu, source="web", at=T0
        ),
        st.sampled_from(ev.ConsentChannel),
        st.sampled_from(ev.ConsentPurpose),
        st.booleans(),
    ),
    st.builds(
        lambda lc: c.ChangeLifecycle(customer_id=CID, lifecycle=lc), st.sampled_from(ev.Lifecycle)
    ),
    st.builds(lambda name: c.RenameCustomer(customer_id=CID, name=name), st.text(min_size=1)),
    st.builds(lambda o: c.AssignOwner(customer_id=CID, owner=o), st.sampled_from(["m", "b"])),
    st.just(c.AddInterest(customer_id=CID, kind=ev.InterestKind.HOBBY, value="sailing")),
    st.just(c.RecordFamilyNote(customer_id=CID, note="two children")),
    st.just(c.Absorb(customer_id=CID, merged_id="c9")),
    st.just(c.EraseCustomer(customer_id=CID, requested_by="dpo", reason="art. 17")),
)


def history_of(commands: list[c.Command]) -> list:
    """The events the commands record, in order; refused commands record nothing."""
    events = c.decide(c.customer_decider.initial_state(), REGISTER)
    for command in commands:
        try:
            events += c.decide(c.customer_decider.fold(events), command)
        except Exception:
            continue
    return events


@settings(max_examples=150, deadline=None)
@given(commands=st.lists(COMMANDS, max_size=30), cut=st.integers(0, 100))
def test_a_fold_from_a_snapshot_equals_the_fold_from_scratch(commands, cut) -> None:
    assert CODEC is not None
    events = history_of(commands)
    cut = min(cut, len(events))
    at_cut = c.customer_decider.fold(events[:cut])
    text = CODEC.dump(at_cut)
    restored = CODEC.load(json.loads(json.dumps(text)))  # through JSON text, as stored
    assert restored == at_cut
    assert c.customer_decider.fold_onto(restored, events[cut:]) == c.customer_decider.fold(events)


async def tagged(handler, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        await handler.handle(STREAM, tag(i), META)
        await handler.handle(STREAM, c.RemoveTag(customer_id=CID, tag=f"t{i}"), META)


def setup(interval: int = 10, decider=None):
    store = CountingStore(InMemoryEventStore())
    keys, snapshots = InMemoryKeyStore(), InMemorySnapshotStore()
    handler = snapshotting_customers(
        store, keys, InMemoryPublisher(), snapshots, interval, decider=decider
    )
    return handler, store, keys, snapshots


async def from_scratch(store, keys) -> c.Customer:
    plain = snapshotting_customers(store.inner, keys, InMemoryPublisher(), None, 0)
    return (await plain.load(STREAM))[0]


async def test_a_command_on_a_long_stream_folds_only_the_events_after_its_snapshot() -> None:
    handler, store, keys, snapshots = setup(interval=10)
    await handler.handle(STREAM, REGISTER, META)
    await tagged(handler, 100)  # 203 events
    kept = snapshots.snapshots[STREAM]
    assert 203 - 10 < kept.version <= 203
    store.events_read = 0
    result = await handler.handle(STREAM, tag(999), META)
    # The snapshot's own commit (to check it) and fewer than 10 events after it.
    assert store.events_read <= 1 + 9
    assert result.state == await from_scratch(store, keys)
    assert "t999" in result.state.tags and result.version == 204


class CountingSnapshots(InMemorySnapshotStore):
    def __init__(self) -> None:
        super().__init__()
        self.gets = 0

    async def get(self, stream_id: str):  # type: ignore[no-untyped-def]
        self.gets += 1
        return await super().get(stream_id)


async def test_a_stream_this_process_saw_shorter_than_the_interval_is_not_looked_up() -> None:
    store, keys, snapshots = InMemoryEventStore(), InMemoryKeyStore(), CountingSnapshots()
    handler = snapshotting_customers(store, keys, InMemoryPublisher(), snapshots, 10)
    await handler.handle(STREAM, REGISTER, META)
    await tagged(handler, 3)  # 3 + 6 = 9 events: no snapshot can exist yet
    assert snapshots.gets == 0 and STREAM not in snapshots.snapshots
    await tagged(handler, 1, start=3)  # past the interval: snapshotted, then looked up
    assert STREAM in snapshots.snapshots
    await handler.handle(STREAM, tag(99), META)
    assert snapshots.gets >= 1


async def test_a_snapshot_of_personal_state_is_sealed_under_the_customers_key() -> None:
    handler, _, keys, snapshots = setup(interval=3)
    await handler.handle(STREAM, REGISTER, META)
    await tagged(handler, 2)
    kept = snapshots.snapshots[STREAM]
    assert kept.customer_id == CID and kept.state.startswith(PREFIX)
    # Neither can appear in base64 by chance ("Ana" alone did, once in a few thousand runs).
    assert "Ana García" not in kept.state and "example.com" not in kept.state
    text = state_text(kept, keys.keys[CID])
    assert text is not None and "Ana García" in text
    assert state_text(kept, new_key()) is None  # another key reads nothing


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(
            lambda s: replace(s, schema=s.schema.rsplit("/v", 1)[0] + "/v1"), id="old-code"
        ),
        pytest.param(lambda s: replace(s, position=s.position + 1), id="another-commit"),
        pytest.param(lambda s: replace(s, commit_id=f"{STREAM}@000000009999"), id="no-commit"),
        pytest.param(lambda s: replace(s, version=s.version - 1), id="wrong-version"),
        pytest.param(lambda s: replace(s, state=s.state[:-8] + "AAAAAAA="), id="corrupt"),
        pytest.param(lambda s: replace(s, customer_id=None), id="unsealed-claim"),
        pytest.param(lambda s: replace(s, customer_id="c2"), id="other-customer"),
    ],
)
async def test_a_stale_corrupt_or_old_code_snapshot_is_ignored(spoil) -> None:
    handler, store, keys, snapshots = setup(interval=5)
    await handler.handle(STREAM, REGISTER, META)
    await tagged(handler, 10)
    snapshots.snapshots[STREAM] = spoil(snapshots.snapshots[STREAM])
    store.events_read = 0
    state, version = await handler.load(STREAM)
    assert (state, version) == (await from_scratch(store, keys), 23)
    assert store.events_read >= 23  # read from the start


async def test_a_snapshot_in_clear_that_should_be_sealed_is_never_trusted() -> None:
    handler, store, keys, snapshots = setup(interval=5)
    await handler.handle(STREAM, REGISTER, META)
    await tagged(handler, 5)
    kept = snapshots.snapshots[STREAM]
    assert CODEC is not None
    forged = CODEC.dump(replace(await from_scratch(store, keys), name="Mallory"))
    snapshots.snapshots[STREAM] = replace(kept, state=forged)
    assert (await handler.load(STREAM))[0].name == "Ana García"


async def test_changing_the_state_code_version_rebuilds_the_snapshot_from_events() -> None:
    handler, store, keys, snapshots = setup(interval=5)
    await handler.handle(STREAM, REGISTER, META)
    await tagged(handler, 10)
    old = snapshots.snapshots[STREAM]
    current = c.customer_decider.snapshot_version
    assert current is not None
    bumped = replace(c.customer_decider, snapshot_version=current + 1)
    newer = snapshotting_customers(store, keys, InMemoryPublisher(), snapshots, 5, decider=bumped)
    await newer.handle(STREAM, tag(50), META)  # 24 events since the start: snapshot at once
    kept = snapshots.snapshots[STREAM]
    assert kept.schema.endswith(f"/v{current + 1}") and kept.version == 24
    assert old.schema.endswith(f"/v{current}")
    assert (await newer.load(STREAM))[0] == await from_scratch(store, keys)


async def test_optimistic_concurrency_is_unchanged_with_a_snapshot() -> None:
    handler, _, _, snapshots = setup(interval=5)
    await handler.handle(STREAM, REGISTER, META)
    await tagged(handler, 5)
    assert snapshots.snapshots[STREAM].version == 10  # and 3 events after it
    with pytest.raises(ConflictError, match="at version 13, not 10"):
        await handler.handle(STREAM, tag(7), META, expected_version=10)
    assert (await handler.handle(STREAM, tag(7), META, expected_version=13)).version == 14


async def test_after_erasure_the_snapshot_reveals_nothing_and_commands_answer_as_before() -> None:
    handler, store, keys, snapshots = setup(interval=5)
    await handler.handle(STREAM, REGISTER, META)
    await tagged(handler, 5)
    erase = c.EraseCustomer(customer_id=CID, requested_by="dpo", reason="art. 17")
    await handler.handle(STREAM, erase, META)
    kept = snapshots.snapshots[STREAM]
    await keys.delete(CID)  # crypto-shredding: the snapshot's key goes with the events'
    assert state_text(kept, None) is None
    state, version = await handler.load(STREAM)
    assert state.erased and state.name == ERASED and version == 14
    assert all(p.value == ERASED for p in state.points.values())
    assert state == await from_scratch(store, keys)
    with pytest.raises(GoneError, match="erased"):
        await handler.handle(STREAM, tag(9), META)
    assert snapshots.snapshots[STREAM] == kept  # nothing new written, nothing in clear


async def test_no_snapshot_is_written_for_an_erased_customer() -> None:
    handler, _, keys, snapshots = setup(interval=1)
    await handler.handle(STREAM, REGISTER, META)
    before = snapshots.snapshots[STREAM]
    await keys.delete(CID)
    keys.erased.discard(CID)  # as if the key were gone but the decider not told yet
    assert (await handler.handle(STREAM, tag(1), META)).version == 4
    assert snapshots.snapshots[STREAM] == before  # none in clear, none under a new key


@dataclass(frozen=True)
class Pairs:
    """A state JSON cannot carry whole: its keys are pairs."""

    seen: dict[tuple[str, str], int] = field(default_factory=dict)


def _pairs(state: Pairs, event) -> Pairs:
    if isinstance(event, ev.TagAdded):
        return Pairs(seen={**state.seen, (event.customer_id, event.tag): 1})
    return state


async def test_a_state_that_json_cannot_carry_is_simply_not_snapshotted() -> None:
    decider = Decider(
        initial_state=Pairs,
        decide=lambda s, cmd: [ev.TagAdded(customer_id=CID, tag=cmd.tag)],
        evolve=_pairs,
        snapshot_version=1,
    )
    handler, _, _, snapshots = setup(interval=1, decider=decider)
    await handler.handle(STREAM, tag(1), META)
    await handler.handle(STREAM, tag(2), META)
    assert snapshots.snapshots == {}
    assert (await handler.load(STREAM))[0].seen == {(CID, "t1"): 1, (CID, "t2"): 1}


def test_a_decider_without_a_snapshot_version_is_never_snapshotted() -> None:
    assert codec_for(replace(c.customer_decider, snapshot_version=None)) is None


async def test_a_sealed_snapshot_is_bound_to_its_stream_version_and_code() -> None:
    handler, _, keys, snapshots = setup(interval=3)
    await handler.handle(STREAM, REGISTER, META)
    kept, key = snapshots.snapshots[STREAM], keys.keys[CID]
    assert state_text(kept, key) is not None
    for moved in (
        replace(kept, version=kept.version + 1),
        replace(kept, stream_id="customer-c2"),
        replace(kept, schema=kept.schema + "0"),
    ):
        assert state_text(moved, key) is None
