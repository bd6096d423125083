"""Read-your-writes wake-ups: the projector's writes wake the readers waiting for them."""

from __future__ import annotations

import asyncio
from typing import Any

from crm_projections.application.customer_360 import Customer360Projector
from crm_projections.application.write_signals import WriteSignals

from tests.fakes import InMemoryKeyStore
from tests.unit.projections.test_customer_360 import CUSTOMER, order, registered

Document = dict[str, Any]


class DictStore:
    def __init__(self) -> None:
        self.docs: dict[str, Document] = {}

    async def load_many(self, ids: list[str]) -> dict[str, Document]:
        return {i: self.docs[i] for i in ids if i in self.docs}

    async def save_many(self, changed: dict[str, tuple[int, Document]]) -> set[str]:
        for id_, (rev, doc) in changed.items():
            self.docs[id_] = {**doc, "_rev": rev + 1}
        return set()


class NoRedirects:
    async def resolve_many(self, ids: list[str]) -> dict[str, str]:
        return {i: i for i in ids}

    async def save(self, merged_id: str, survivor_id: str) -> None:
        raise AssertionError("no merges here")


async def test_a_write_wakes_a_reader_watching_that_document() -> None:
    signals = WriteSignals()
    with signals.watching({"a"}) as written:
        signals.notify({"b": {"_id": "b"}})
        assert not written.is_set()
        signals.notify({"a": {"_id": "a", "_rev": 2}})
        assert await written.wait(1.0)
    assert written.documents == {"a": {"_id": "a", "_rev": 2}}


async def test_a_reader_that_stops_watching_leaves_nothing_behind() -> None:
    signals = WriteSignals()
    with signals.watching({"a", "b"}) as written:
        assert signals.waiting == 2
    assert signals.waiting == 0
    signals.notify({"a": {"_id": "a"}})
    assert not written.is_set()


async def test_a_reader_not_woken_returns_after_its_timeout() -> None:
    signals = WriteSignals()
    with signals.watching({"a"}) as written:
        assert not await written.wait(0.01)


async def test_the_360_projector_signals_the_documents_it_wrote() -> None:
    signals = WriteSignals()
    store = DictStore()
    projector = Customer360Projector(
        store, NoRedirects(), InMemoryKeyStore(), on_written=signals.notify
    )
    with signals.watching({CUSTOMER}) as written:
        waiter = asyncio.create_task(written.wait(5.0))
        await projector.handle(registered() + order(1))
        assert await waiter
    # The reader gets the document exactly as stored, so it need not read it back.
    assert written.documents[CUSTOMER] == store.docs[CUSTOMER]


async def test_a_batch_that_changes_nothing_wakes_nobody() -> None:
    signals = WriteSignals()
    store = DictStore()
    projector = Customer360Projector(
        store, NoRedirects(), InMemoryKeyStore(), on_written=signals.notify
    )
    batch = registered()
    await projector.handle(batch)
    with signals.watching({CUSTOMER}) as written:
        await projector.handle(batch)  # a redelivery: already applied
        assert not written.is_set()


def test_the_last_documents_written_are_remembered_within_a_bound() -> None:
    signals = WriteSignals(remembered=2)
    signals.notify({"a": {"_id": "a", "n": 1}})
    signals.notify({"b": {"_id": "b"}, "a": {"_id": "a", "n": 2}})
    signals.notify({"c": {"_id": "c"}})
    assert signals.last_written("a") == {"_id": "a", "n": 2}
    assert signals.last_written("b") is None  # the least recently written went first
    signals.forget()
    assert signals.last_written("a") is None


def test_only_documents_this_instance_alone_writes_are_remembered() -> None:
    signals = WriteSignals(remember_if=lambda id_: id_ != "elsewhere")
    signals.notify({"mine": {"_id": "mine", "merged_from": []}, "elsewhere": {"_id": "x"}})
    signals.notify({"survivor": {"_id": "survivor", "merged_from": ["m1"]}})
    assert signals.last_written("mine") == {"_id": "mine", "merged_from": []}
    assert signals.last_written("elsewhere") is None
    assert signals.last_written("survivor") is None  # the owner of m1 writes it too
    signals.notify({"mine": {"_id": "mine", "merged_from": ["m2"]}})
    assert signals.last_written("mine") is None  # what it remembered is dropped, not kept
