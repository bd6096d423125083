"""Merges on the live projector and in a rebuild: whatever the interleaving of topics, batch
sizes and redeliveries, a merge followed by later events for the merged id (an order, its
erasure with the survivor) ends in the same documents, tombstone included (hypothesis)."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from crm_kernel.adapters.memory import InMemoryKeyStore
from crm_kernel.contracts import contacts as cev
from crm_kernel.contracts.sales import OrderLine, OrderPlaced
from crm_kernel.domain.envelope import EventEnvelope, Metadata, wrap
from crm_kernel.domain.events import ERASED, DomainEvent
from crm_projections.application.projector import Customer360Projector
from crm_projections.domain.customer_360 import public_view
from hypothesis import given, settings
from hypothesis import strategies as st

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
        cev.CustomerMerged(customer_id=MERGED, survivor_id=SURVIVOR),
    ]
    if erased:
        merged.append(cev.CustomerErased(customer_id=MERGED, survivor_id=SURVIVOR, **erasure))
    survivor: list[DomainEvent] = [
        *registration(SURVIVOR, "Ana Survivor", "ana@example.com"),
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


async def project(batches: list[list[EventEnvelope]]) -> dict[str, Document]:
    store = Store()
    projector = Customer360Projector(store, Redirects(), InMemoryKeyStore())
    for batch in batches:
        await projector.handle(batch)
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
    assert live[MERGED]["applied"] == {f"customer-{MERGED}": 4}
    assert rebuilt == live
    assert live[SURVIVOR]["sales"]["orders_count"] == 1


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
)
def test_merges_with_later_events_for_the_merged_id_fold_alike_in_any_interleaving(
    merged_orders: int, survivor_orders: int, erased: bool, seed: int, dupes: int, batch: int
) -> None:
    """Each stream keeps its order (one partition); streams interleave at random (topics and
    partitions), as live and as in a rebuild; redeliveries repeat what was seen."""
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
    assert asyncio.run(project(batches)) == expected
