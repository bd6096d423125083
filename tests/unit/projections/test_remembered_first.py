"""The live projector takes the documents it remembers writing from memory, and a stale one
costs a lost race, never a lost event."""

from __future__ import annotations

from typing import Any

from crm_projections.application.customer_360 import Customer360Projector
from crm_projections.application.remembered_first import RememberedFirst
from crm_projections.application.write_signals import WriteSignals

from tests.fakes import InMemoryKeyStore
from tests.unit.projections.test_customer_360 import CUSTOMER, order, registered
from tests.unit.projections.test_write_signals import NoRedirects

Document = dict[str, Any]


class RevisionStore:
    """Stores like MongoReadStore: a write whose revision is not the stored one loses."""

    def __init__(self) -> None:
        self.docs: dict[str, Document] = {}
        self.loads: list[list[str]] = []

    async def load_many(self, ids: list[str]) -> dict[str, Document]:
        self.loads.append(list(ids))
        return {i: dict(self.docs[i]) for i in ids if i in self.docs}

    async def save_many(self, changed: dict[str, tuple[int, Document]]) -> set[str]:
        lost = {i for i, (rev, _) in changed.items() if self.docs.get(i, {}).get("_rev", 0) != rev}
        for id_, (rev, doc) in changed.items():
            if id_ not in lost:
                self.docs[id_] = {**doc, "_rev": rev + 1}
        return lost


def live_projector(store: RevisionStore) -> Customer360Projector:
    signals = WriteSignals()
    return Customer360Projector(
        RememberedFirst(store, signals), NoRedirects(), InMemoryKeyStore(), signals.notify
    )


def orders(doc: Document) -> list[str]:
    return sorted(o["id"] for o in doc["sales"]["orders"])


async def test_a_document_it_wrote_is_not_read_back_from_the_store() -> None:
    store = RevisionStore()
    projector = live_projector(store)
    await projector.handle(registered())
    await projector.handle(order(1))
    assert store.loads == [[CUSTOMER]]  # the first batch only: it had written nothing yet
    assert orders(store.docs[CUSTOMER]) == ["o1"]


async def test_a_document_another_writer_changed_is_read_again_and_nothing_is_lost() -> None:
    store = RevisionStore()
    projector = live_projector(store)
    await projector.handle(registered())
    # Another instance (before a rebalance reached this one) projects a later order.
    other = Customer360Projector(store, NoRedirects(), InMemoryKeyStore())
    await other.handle(order(2))
    await projector.handle(order(1))  # folded on the remembered document: loses, reads, folds
    assert orders(store.docs[CUSTOMER]) == ["o1", "o2"]
    assert store.loads[-1] == [CUSTOMER]
