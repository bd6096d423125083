"""The optimistic fold-and-save loop both document projectors use (customer_360 and
activities): a document that lost a write race is read again and folded once more, only the
documents that lost are, and after `MAX_ROUNDS` rounds of lost races the batch fails."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from crm_contacts_contracts.events import ActivityCompleted, ActivityKind, ActivityScheduled
from crm_projections.application.customer_360 import Customer360Projector
from crm_projections.application.documents import DocumentProjector
from crm_projections.application.fold_and_save import (
    MAX_ROUNDS,
    Batch,
    Known,
    until_saved,
)
from crm_projections.domain import activities

from tests.fakes import InMemoryKeyStore
from tests.unit.projections.test_customer_360 import CUSTOMER, T0, envelopes, order, registered
from tests.unit.projections.test_remembered_first import RevisionStore, orders
from tests.unit.projections.test_write_signals import NoRedirects

Document = dict[str, Any]


class RacedStore(RevisionStore):
    """A revision-checked store where, before each of the first `races` saves that write
    anything, another writer stores its change to every document being saved: they lose."""

    def __init__(self, races: int, rival: Any) -> None:
        super().__init__()
        self.races = races
        self.rival = rival  # (id, stored document) -> the other writer's document
        self.saves: list[dict[str, tuple[int, Document]]] = []

    async def save_many(self, changed: dict[str, tuple[int, Document]]) -> set[str]:
        self.saves.append(changed)
        if changed and self.races > 0:
            self.races -= 1
            for id_ in changed:
                stored = self.docs.get(id_, {"_rev": 0})
                self.docs[id_] = {**self.rival(id_, stored), "_rev": stored["_rev"] + 1}
        return await super().save_many(changed)


# --- the loop itself ------------------------------------------------------------------------


class Rounds:
    """A round that records what it was given and loses the ids it is told to, in turn."""

    def __init__(self, *losing: set[str]) -> None:
        self.losing = list(losing)
        self.calls: list[tuple[Batch, Known]] = []

    async def __call__(self, batch: Batch, known: Known) -> set[str]:
        self.calls.append((dict(batch), dict(known)))
        return self.losing.pop(0) if self.losing else set()


A, B = order(1), order(2)


async def test_only_the_documents_that_lost_are_folded_again_and_read_afresh() -> None:
    rounds = Rounds({"b"})
    await until_saved({"a": A, "b": B}, rounds, {"a": {"_id": "a", "_rev": 3}, "b": None})
    assert rounds.calls == [
        ({"a": A, "b": B}, {"a": {"_id": "a", "_rev": 3}, "b": None}),
        ({"b": B}, {}),  # what was read first is stale after a lost race
    ]


async def test_the_last_round_allowed_may_win() -> None:
    rounds = Rounds(*[{"a"}] * (MAX_ROUNDS - 1))
    await until_saved({"a": A}, rounds, {})
    assert len(rounds.calls) == MAX_ROUNDS


async def test_documents_that_keep_losing_fail_the_batch_after_max_rounds() -> None:
    rounds = Rounds(*[{"a", "b"}] * MAX_ROUNDS)
    with pytest.raises(RuntimeError, match="2 documents kept losing write races"):
        await until_saved({"a": A, "b": B}, rounds, {})
    assert len(rounds.calls) == MAX_ROUNDS


async def test_a_batch_with_no_documents_runs_no_round() -> None:
    rounds = Rounds()
    await until_saved({}, rounds, {})
    assert rounds.calls == []


# --- through the activities projector -------------------------------------------------------

SCHEDULED, COMPLETED = envelopes(
    "activity-a1",
    "crm.contacts",
    [
        ActivityScheduled(
            activity_id="a1",
            customer_id=CUSTOMER,
            owner="marta",
            kind=ActivityKind.CALL,
            title="Call Ana",
            starts_at=T0,
            ends_at=T0 + timedelta(minutes=30),
        ),
        ActivityCompleted(activity_id="a1", customer_id=CUSTOMER, outcome="done"),
    ],
    T0,
)


def activity_projector(store: RevisionStore) -> DocumentProjector:
    return DocumentProjector(store, activities.key, activities.empty, activities.fold)


def touched(id_: str, stored: Document) -> Document:
    """Another writer's change to a stored document."""
    return {**stored, "touched_by": "another writer"}


async def test_an_activity_that_lost_a_race_is_read_again_and_keeps_both_writes() -> None:
    store = RacedStore(races=0, rival=touched)
    projector = activity_projector(store)
    await projector.handle([SCHEDULED])
    store.races = 1
    await projector.handle([COMPLETED])
    assert store.loads == [["a1"], ["a1"], ["a1"]]
    assert [s["a1"][0] for s in store.saves] == [0, 1, 2]  # the revision each save expected
    doc = store.docs["a1"]
    assert (doc["status"], doc["touched_by"], doc["_rev"]) == ("completed", "another writer", 3)


async def test_an_activity_batch_that_changes_nothing_saves_nothing() -> None:
    store = RacedStore(races=0, rival=touched)
    projector = activity_projector(store)
    await projector.handle([SCHEDULED, COMPLETED])
    await projector.handle([SCHEDULED, COMPLETED])  # redelivered
    assert store.saves[1] == {}
    assert store.docs["a1"]["_rev"] == 1


async def test_an_activity_saved_in_the_last_round_allowed_is_not_a_failure() -> None:
    """The activities projector's own loop raised after its last round even when that round
    won (the batch was then redelivered, and changed nothing); the shared loop does not."""
    store = RacedStore(races=0, rival=touched)
    projector = activity_projector(store)
    await projector.handle([SCHEDULED])
    store.races = MAX_ROUNDS - 1
    await projector.handle([COMPLETED])
    assert len(store.saves) == 1 + MAX_ROUNDS
    assert store.docs["a1"]["status"] == "completed"


async def test_an_activity_that_keeps_losing_fails_after_max_rounds() -> None:
    store = RacedStore(races=0, rival=touched)
    projector = activity_projector(store)
    await projector.handle([SCHEDULED])
    store.races = MAX_ROUNDS
    with pytest.raises(RuntimeError, match="1 documents kept losing write races"):
        await projector.handle([COMPLETED])
    assert len(store.saves) == 1 + MAX_ROUNDS


# --- through the customer_360 projector -----------------------------------------------------


def customer_projector(store: RevisionStore) -> Customer360Projector:
    return Customer360Projector(store, NoRedirects(), InMemoryKeyStore())


async def test_a_customer_that_lost_a_race_is_read_again_and_folded_once_more() -> None:
    store = RacedStore(races=0, rival=touched)
    projector = customer_projector(store)
    await projector.handle(registered())
    store.races = 1
    await projector.handle(order(1))
    # Read once to route the batch (which serves the first round), lost, read again, saved.
    assert store.loads == [[CUSTOMER], [CUSTOMER], [CUSTOMER]]
    assert [s[CUSTOMER][0] for s in store.saves if s] == [0, 1, 2]  # tombstones: none
    doc = store.docs[CUSTOMER]
    assert (orders(doc), doc["touched_by"], doc["_rev"]) == (["o1"], "another writer", 3)


async def test_a_customer_that_keeps_losing_fails_after_max_rounds() -> None:
    store = RacedStore(races=0, rival=touched)
    projector = customer_projector(store)
    await projector.handle(registered())
    store.races = MAX_ROUNDS
    with pytest.raises(RuntimeError, match="1 documents kept losing write races"):
        await projector.handle(order(1))
    assert len([s for s in store.saves if s]) == 1 + MAX_ROUNDS
    assert orders(store.docs[CUSTOMER]) == []
