"""The write shell with in-memory fakes: load, decide, append, publish."""

from __future__ import annotations

import pytest
from crm_contacts.domain.customer import (
    EraseCustomer,
    RegisterCustomer,
    RenameCustomer,
)
from crm_contacts_contracts.events import CustomerType, PartyKind
from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import ConflictError, GoneError
from crm_kernel.privacy import PREFIX
from crm_kernel.relay import Relay

from tests.fakes import InMemoryEventStore, InMemoryKeyStore, InMemoryPublisher
from tests.support import customer_commands


class FailingPublisher:
    async def publish(self, envelopes) -> None:
        raise ConnectionError("broker down")


def handler(publisher) -> tuple[CommandHandler, InMemoryEventStore]:
    store = InMemoryEventStore()
    return customer_commands(store, InMemoryKeyStore(), publisher), store


COMMAND = RegisterCustomer(
    customer_id="c1", kind=PartyKind.PERSON, customer_type=CustomerType.CONSUMER, name="Ana"
)


async def test_a_command_appends_and_publishes_its_events() -> None:
    publisher = InMemoryPublisher()
    commands, store = handler(publisher)
    result = await commands.handle("customer-c1", COMMAND, Metadata(actor="alice"))
    assert result.version == 1
    [published] = publisher.published
    assert published.actor == "alice"
    assert published.data["name"].startswith(PREFIX)  # what leaves the service is sealed
    assert await store.unpublished() == []


async def test_a_stale_expected_version_is_a_conflict_and_appends_nothing() -> None:
    commands, store = handler(InMemoryPublisher())
    with pytest.raises(ConflictError):
        await commands.handle("customer-c1", COMMAND, Metadata(actor="a"), expected_version=3)
    assert store.commits == []


async def test_a_broker_outage_keeps_the_command_and_leaves_it_to_the_relay() -> None:
    commands, store = handler(FailingPublisher())
    result = await commands.handle("customer-c1", COMMAND, Metadata(actor="a"))
    assert result.version == 1
    assert len(await store.unpublished()) == 1
    publisher = InMemoryPublisher()
    assert await Relay(store, publisher).publish_pending() == 1
    assert [e.event_id for e in publisher.published] == result.event_ids
    assert await store.unpublished() == []


async def test_the_result_carries_the_state_after_the_command() -> None:
    commands, _ = handler(InMemoryPublisher())
    result = await commands.handle("customer-c1", COMMAND, Metadata(actor="a"))
    assert result.state.registered and result.state.name == "Ana"
    assert result.state == (await commands.load("customer-c1"))[0]


async def test_sealing_looks_a_customer_key_up_once() -> None:
    from crm_kernel.privacy import seal_all

    class CountingKeys(InMemoryKeyStore):
        calls = 0

        async def get_or_create(self, customer_id: str, likely_new: bool = False) -> bytes:
            CountingKeys.calls += 1
            return await super().get_or_create(customer_id, likely_new)

    commands, store = handler(InMemoryPublisher())
    await commands.handle(
        "customer-c1", COMMAND.model_copy(update={"email": "a@b.es"}), Metadata(actor="a")
    )
    envelopes = await store.read_stream("customer-c1")
    assert len(envelopes) == 3
    await seal_all(envelopes, CountingKeys())
    assert CountingKeys.calls == 1


def counting_loads(commands: CommandHandler) -> list[str]:
    loads: list[str] = []
    original = commands.load_stream

    async def load_stream(stream_id: str):
        loads.append(stream_id)
        return await original(stream_id)

    commands.load_stream = load_stream  # type: ignore[method-assign]
    return loads


async def test_a_command_that_opens_a_stream_does_not_read_it_first() -> None:
    commands, _ = handler(InMemoryPublisher())
    loads = counting_loads(commands)
    result = await commands.handle("customer-c1", COMMAND, Metadata(actor="a"))
    assert (result.version, loads) == (1, [])
    assert result.state.registered


async def test_opening_a_stream_that_exists_falls_back_to_its_real_state() -> None:
    publisher = InMemoryPublisher()
    commands, store = handler(publisher)
    await commands.handle("customer-c1", COMMAND, Metadata(actor="a"))
    loads = counting_loads(commands)
    with pytest.raises(ConflictError, match="already registered"):
        await commands.handle("customer-c1", COMMAND, Metadata(actor="a"))
    assert loads == ["customer-c1"]
    assert len(store.commits) == 1 and len(publisher.published) == 1


async def test_a_command_refused_on_an_empty_stream_is_decided_on_the_stream() -> None:
    commands, _ = handler(InMemoryPublisher())
    await commands.handle("customer-c1", COMMAND, Metadata(actor="a"))
    loads = counting_loads(commands)
    result = await commands.handle(
        "customer-c1", RenameCustomer(customer_id="c1", name="Ana María"), Metadata(actor="a")
    )
    # Decided on the stream as this process holds it (no store read); the append confirms it.
    assert (result.version, result.state.name, loads) == (2, "Ana María", [])


class OtherWriters(InMemoryEventStore):
    """A store that other processes append to: their commits are not in this one's memory."""

    def __init__(self) -> None:
        super().__init__()
        self.unseen: set[str] = set()

    def known_stream(self, stream_id: str):
        seen = [c for c in self.commits if c.stream_id == stream_id]
        if any(c.commit_id in self.unseen for c in seen):
            seen = seen[: [c.commit_id in self.unseen for c in seen].index(True)]
        return [e for c in seen for e in c.events] or None

    async def append_elsewhere(self, commands: CommandHandler, command) -> None:
        before = {c.commit_id for c in self.commits}
        await commands.handle("customer-c1", command, Metadata(actor="other"))
        self.unseen |= {c.commit_id for c in self.commits} - before


async def renamed_elsewhere() -> tuple[OtherWriters, CommandHandler]:
    """Ana registered here, then renamed Eva by another process."""
    store = OtherWriters()
    commands = customer_commands(store, InMemoryKeyStore(), InMemoryPublisher())
    await commands.handle("customer-c1", COMMAND, Metadata(actor="a"))
    await store.append_elsewhere(commands, RenameCustomer(customer_id="c1", name="Eva"))
    return store, commands


async def test_a_command_decided_on_a_stale_memory_is_decided_again_on_the_store() -> None:
    store, commands = await renamed_elsewhere()
    result = await commands.handle(
        "customer-c1", RenameCustomer(customer_id="c1", name="Zoe"), Metadata(actor="a")
    )
    # Decided at version 1 from memory, refused by the store at 2, decided again: nothing lost.
    assert (result.version, result.state.name) == (3, "Zoe")
    assert [c.events[0].stream_version for c in store.commits] == [1, 2, 3]


async def test_nothing_to_record_on_a_stale_memory_is_asked_of_the_store() -> None:
    _, commands = await renamed_elsewhere()
    # Memory says the name is Ana already (no event); the store says Eva: renamed back.
    result = await commands.handle(
        "customer-c1", RenameCustomer(customer_id="c1", name="Ana"), Metadata(actor="a")
    )
    assert (result.version, result.state.name) == (3, "Ana")


async def test_an_erased_customer_gets_no_new_key() -> None:
    keys = InMemoryKeyStore()
    store = InMemoryEventStore()
    commands = customer_commands(store, keys, InMemoryPublisher())
    await commands.handle("customer-c1", COMMAND, Metadata(actor="a"))
    erase = EraseCustomer(customer_id="c1", requested_by="dpo", reason="ticket 7")
    await commands.handle("customer-c1", erase, Metadata(actor="a"))
    assert await keys.delete("c1")
    with pytest.raises(ConflictError, match="already registered"):  # the decider's answer
        await commands.handle("customer-c1", COMMAND, Metadata(actor="a"))
    assert keys.keys == {} and len(store.commits) == 2
    with pytest.raises(GoneError):
        await keys.get_or_create("c1")


async def test_the_relay_sweeps_once_more_when_told_to_stop() -> None:
    import asyncio

    commands, store = handler(FailingPublisher())
    await commands.handle("customer-c1", COMMAND, Metadata(actor="a"))
    publisher = InMemoryPublisher()
    stop = asyncio.Event()
    stop.set()  # e.g. the service shuts down right after the broker came back
    await Relay(store, publisher).run(interval_s=60, stop=stop)
    assert len(publisher.published) == 1 and await store.unpublished() == []


class CountingKeyStore(InMemoryKeyStore):
    """Counts the key store's lookups (every call is a round trip on the real store)."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups: list[str] = []
        self.likely_new: list[bool] = []

    async def get_or_create(self, customer_id: str, likely_new: bool = False) -> bytes:
        self.lookups.append("get_or_create")
        self.likely_new.append(likely_new)
        return await super().get_or_create(customer_id, likely_new)

    async def get_many(self, customer_ids):
        self.lookups.append("get_many")
        return await super().get_many(customer_ids)

    async def is_erased(self, customer_id: str) -> bool:
        self.lookups.append("is_erased")
        return await super().is_erased(customer_id)


async def test_a_command_on_a_stream_reads_its_customer_key_once() -> None:
    keys = CountingKeyStore()
    commands = customer_commands(InMemoryEventStore(), keys, InMemoryPublisher())
    await commands.handle("customer-c1", COMMAND, Metadata(actor="a"))
    assert keys.likely_new == [True]  # a registration: the key is made before it is looked up
    keys.lookups.clear()
    rename = RenameCustomer(customer_id="c1", name="Ana María")
    result = await commands.handle("customer-c1", rename, Metadata(actor="a"))
    # The load's key seals the new name: no second lookup.
    assert (result.version, keys.lookups) == (2, ["get_many"])
    assert keys.likely_new == [True]


async def test_an_erased_customer_is_refused_though_the_load_found_no_key() -> None:
    keys = CountingKeyStore()
    commands = customer_commands(InMemoryEventStore(), keys, InMemoryPublisher())
    await commands.handle("customer-c1", COMMAND, Metadata(actor="a"))
    await keys.delete("c1")  # shredded by another writer, the stream not told yet
    with pytest.raises(GoneError):
        await commands.handle(
            "customer-c1", RenameCustomer(customer_id="c1", name="Eva"), Metadata(actor="a")
        )


async def test_keys_the_caller_read_seal_the_command() -> None:
    keys = CountingKeyStore()
    store = InMemoryEventStore()
    commands = customer_commands(store, keys, InMemoryPublisher())
    await commands.handle("customer-c1", COMMAND, Metadata(actor="a"))
    loaded = await commands.load_stream("customer-c1")
    keys.lookups.clear()
    rename = RenameCustomer(customer_id="c1", name="Eva")
    await commands.handle("customer-c1", rename, Metadata(actor="a"), keys=loaded.keys)
    assert keys.lookups == ["get_many"]  # the handler's own load; sealing asked nothing
    state, _ = await commands.load("customer-c1")
    assert state.name == "Eva"
