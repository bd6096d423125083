"""Merges on the live projector and in a rebuild: whatever the interleaving of topics, batch
sizes and redeliveries, a merge followed by later events for the merged id (an order, its
erasure with the survivor) ends in the same documents, tombstone included (hypothesis)."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from crm_contacts_contracts import events as cev
from crm_kernel.domain.envelope import EventEnvelope, Metadata, wrap
from crm_kernel.domain.events import ERASED, DomainEvent
from crm_projections.application.customer_360 import Customer360Projector
from crm_projections.domain.customer_360 import public_view
from crm_sales_contracts.events import OrderLine, OrderPlaced
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fakes import InMemoryKeyStore

Document = dict[str, Any]
T0 = datetime(2026, 1, 1, tzinfo=UTC)
MERGED, SURVIVOR = "m", "s"


class Store:
    """A read store with revision-checked writes, like MongoReadStore."""

    def __init__(self) -> None:
        self.docs: dict[str, Document] = {}

    async def load_many(self, ids: list[str]) -> dict[str, Document]:
        return {i: dict(self.docs[i]) for i in ids if i in self.docs}

    async def save_many(self, changed: dict[str, tuple[int, Document]]) -> set[str]:
        lost = {i for i, (rev, _) in changed.items() if self.docs.get(i, {}).get("_rev", 0) != rev}
        for id_, (rev, doc) in changed.items():
            if id_ not in lost:
                self.docs[id_] = {**doc, "_rev": rev + 1}
        return lost

    def state(self) -> dict[str, Document]:
        return {i: {k: v for k, v in d.items() if k != "_rev"} for i, d in self.docs.items()}


class TombstoneWriteFails(RuntimeError):
    """A store error, a timeout cancelling the batch or the process killed, mid-merge."""


class FlakyStore(Store):
    """Fails the first `failures` writes holding a tombstone: the survivor is written, the
    merged customer is not yet its tombstone."""

    def __init__(self, failures: int = 1) -> None:
        super().__init__()
        self.failures = failures

    async def save_many(self, changed: dict[str, tuple[int, Document]]) -> set[str]:
        if self.failures and any(doc.get("tombstone") for _, doc in changed.values()):
            self.failures -= 1
            raise TombstoneWriteFails
        return await super().save_many(changed)


class Redirects:
    def __init__(self) -> None:
        self.to: dict[str, str] = {}

    async def resolve_many(self, ids: list[str]) -> dict[str, str]:
        found = {}
        for i in ids:
            target = i
            while target in self.to:
                target = self.to[target]
            found[i] = target
        return found

    async def save(self, merged_id: str, survivor_id: str) -> None:
        self.to[merged_id] = survivor_id


def contacts(customer: str, events: list[DomainEvent], after: int = 0) -> list[EventEnvelope]:
    return wrap(
        events,
        source="crm.contacts",
        stream_id=f"customer-{customer}",
        expected_version=after,
        metadata=Metadata(actor="t"),
        now=T0 + timedelta(minutes=after),
    )


def registration(customer: str, name: str, email: str) -> list[DomainEvent]:
    return [
        cev.CustomerRegistered(
            customer_id=customer,
            kind=cev.PartyKind.PERSON,
            customer_type=cev.CustomerType.CONSUMER,
            name=name,
        ),
        cev.ContactPointAdded(
            customer_id=customer,
            point_id=f"email-{customer}",
            kind=cev.ContactPointKind.EMAIL,
            value=email,
        ),
        cev.FamilyNoteRecorded(customer_id=customer, note=f"{name} has two kids"),
        # Lists the fold keeps in their own order (kind, then id): a merge must keep it too.
        cev.InterestAdded(customer_id=customer, kind=cev.InterestKind.MEMBERSHIP, value="club"),
        cev.InterestAdded(customer_id=customer, kind=cev.InterestKind.HOBBY, value="sailing"),
    ]


def order(customer: str, n: int) -> list[EventEnvelope]:
    event = OrderPlaced(
        order_id=f"{customer}-{n}",
        customer_id=customer,
        currency="EUR",
        total=Decimal("2.50"),
        lines=(OrderLine(sku=f"S{n}", quantity=1, unit_price=Decimal("2.50")),),
    )
    return wrap(
        [event],
        source="crm.sales",
        stream_id=f"order-{customer}-{n}",
        expected_version=0,
        metadata=Metadata(actor="t"),
        now=T0 + timedelta(hours=n),
    )


def merge_history(merged_orders: int, survivor_orders: int, erased: bool) -> list[EventEnvelope]:
    """M registers and is merged into S; orders for M come before and after the merge (its
    id stays valid in other contexts); with `erased`, S is erased and so is M, with S."""
    erasure = {"requested_by": "dpo", "reason": "GDPR art. 17"}
    merged = [
        *registration(MERGED, "Bea Merged", "bea@example.com"),
        # Reported as the likely duplicate of the survivor first (live, contacts records it
        # on the new registration; a rebuild may fold it after the merge).
        cev.PossibleDuplicateFound(
            customer_id=MERGED, other_customer_id=SURVIVOR, reason=cev.DuplicateReason.SAME_EMAIL
        ),
        cev.CustomerMerged(customer_id=MERGED, survivor_id=SURVIVOR),
    ]
    if erased:
        merged.append(cev.CustomerErased(customer_id=MERGED, survivor_id=SURVIVOR, **erasure))
    survivor: list[DomainEvent] = [
        *registration(SURVIVOR, "Ana Survivor", "ana@example.com"),
        cev.PossibleDuplicateFound(
            customer_id=SURVIVOR, other_customer_id=MERGED, reason=cev.DuplicateReason.SAME_EMAIL
        ),
        cev.CustomerAbsorbed(customer_id=SURVIVOR, merged_id=MERGED),
    ]
    if erased:
        survivor.append(cev.CustomerErased(customer_id=SURVIVOR, **erasure))
    events = [*contacts(MERGED, merged), *contacts(SURVIVOR, survivor)]
    for n in range(merged_orders):
        events += order(MERGED, n)
    for n in range(survivor_orders):
        events += order(SURVIVOR, n)
    return events


async def project(
    batches: list[list[EventEnvelope]], failures: int = 0, split: bool = False
) -> dict[str, Document]:
    """Project the batches in turn; a failed batch is not committed, so it comes again, with
    the next batch's events (the consumer fetched on meanwhile). With `split`, the next
    batch's events of other streams (other partitions) come first, in a batch of their own."""
    store = FlakyStore(failures)
    projector = Customer360Projector(store, Redirects(), InMemoryKeyStore())
    queue = list(batches)
    while queue:
        batch = queue.pop(0)
        try:
            await projector.handle(batch)
        except TombstoneWriteFails:
            later = queue.pop(0) if queue else []
            streams = {e.stream_id for e in batch}
            ahead = [e for e in later if split and e.stream_id not in streams]
            queue[:0] = [b for b in (ahead, batch + [e for e in later if e not in ahead]) if b]
    return store.state()


def in_order(events: list[EventEnvelope]) -> list[EventEnvelope]:
    return sorted(events, key=lambda e: (e.stream_id, e.stream_version))


def test_an_order_for_the_merged_id_after_the_merge_leaves_the_same_tombstone() -> None:
    events = merge_history(merged_orders=0, survivor_orders=0, erased=False)
    late = order(MERGED, 7)
    # Live: the merge is projected, then the order placed later for the merged id arrives.
    live = asyncio.run(project([in_order(events), late]))
    # A rebuild reads the sales topic first: the order reaches the merged customer first.
    rebuilt = asyncio.run(project([late, in_order(events)]))
    assert live[MERGED]["applied"] == {f"customer-{MERGED}": 7}
    assert rebuilt == live
    assert live[SURVIVOR]["sales"]["orders_count"] == 1


@pytest.mark.parametrize("late_first", [False, True])
def test_an_order_redelivered_with_a_merge_whose_tombstone_failed_reaches_the_survivor(
    late_first: bool,
) -> None:
    """The survivor is written, the merged customer's tombstone is not (a store error, a
    timeout, a kill); the batch comes again, now with an order for the merged id, which is
    folded into the merged customer's pre-merge document: it must reach the survivor."""
    events = in_order(merge_history(merged_orders=1, survivor_orders=1, erased=False))
    late = order(MERGED, 7)
    live = asyncio.run(project([events, late], failures=1))
    rebuilt = asyncio.run(project([in_order(events + late)]))
    assert live == rebuilt
    assert live[SURVIVOR]["sales"]["orders_count"] == 3
    assert live[MERGED]["tombstone"]
    if late_first:  # the redelivery reads the sales topic first, in the same batch or before
        assert asyncio.run(project([events, late + events], failures=1)) == rebuilt
        assert asyncio.run(project([events, late], failures=1, split=True)) == rebuilt


def test_an_erased_survivor_shows_nothing_of_the_customers_merged_into_it() -> None:
    events = in_order(merge_history(merged_orders=1, survivor_orders=1, erased=True))
    # Even without the merged customer's own erasure (erasures recorded before ADR 14)...
    events = [e for e in events if e.type != cev.CustomerErased.event_type or e.key != MERGED]
    merged = [e for e in events if e.stream_id == f"customer-{MERGED}"]
    rest = [e for e in events if e.stream_id != f"customer-{MERGED}"]
    # ...and with the survivor's erasure projected before the merge reaches it (a rebuild
    # reads another partition first), nothing of either is left in clear.
    for batches in ([events], [rest, merged], [merged, rest]):
        docs = asyncio.run(project(batches))
        view = public_view(docs[SURVIVOR])
        text = str(view)
        for secret in ("Bea", "bea@example.com", "Ana", "ana@example.com"):
            assert secret not in text, batches
        assert view["profile"]["name"] == ERASED
        assert {p["value"] for p in view["contact"]["points"]} == {ERASED}
        assert view["sales"]["orders_count"] == 2


@settings(max_examples=120, deadline=None)
@given(
    merged_orders=st.integers(0, 3),
    survivor_orders=st.integers(0, 2),
    erased=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
    dupes=st.integers(0, 10),
    batch=st.integers(1, 6),
    failures=st.integers(0, 2),
    split=st.booleans(),
)
def test_merges_with_later_events_for_the_merged_id_fold_alike_in_any_interleaving(
    merged_orders: int,
    survivor_orders: int,
    erased: bool,
    seed: int,
    dupes: int,
    batch: int,
    failures: int,
    split: bool,
) -> None:
    """Each stream keeps its order (one partition); streams interleave at random (topics and
    partitions), as live and as in a rebuild; redeliveries repeat what was seen, and a batch
    whose tombstone write failed comes again with the next one (or after its other streams)."""
    events = merge_history(merged_orders, survivor_orders, erased)
    expected = asyncio.run(project([in_order(events)]))

    rng = random.Random(seed)
    queues: dict[str, list[EventEnvelope]] = {}
    for e in in_order(events):
        queues.setdefault(e.stream_id, []).append(e)
    delivered: list[EventEnvelope] = []
    while any(queues.values()):
        stream = rng.choice([s for s, q in queues.items() if q])
        delivered.append(queues[stream].pop(0))
        if rng.random() < dupes / 20:
            delivered.append(rng.choice(delivered))
    batches = [delivered[i : i + batch] for i in range(0, len(delivered), batch)]
    assert asyncio.run(project(batches, failures, split)) == expected
