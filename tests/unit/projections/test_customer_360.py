"""The customer_360 fold: what each context contributes, and that it is idempotent and
order-tolerant across streams (hypothesis)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from crm_campaigns_contracts.events import CampaignResponseRecorded, Channel, ResponseKind
from crm_contacts_contracts.events import CustomerRegistered, CustomerType, PartyKind
from crm_kernel.domain.envelope import EventEnvelope, Metadata, wrap
from crm_kernel.domain.events import DomainEvent
from crm_projections.domain.customer_360 import empty, fold
from crm_sales_contracts.events import OrderCancelled, OrderLine, OrderLineReturned, OrderPlaced
from crm_support_contracts.events import CaseKind, CaseOpened, Priority
from hypothesis import given, settings
from hypothesis import strategies as st

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CUSTOMER = "c1"


def envelopes(
    stream: str, source: str, events: list[DomainEvent], at: datetime
) -> list[EventEnvelope]:
    return wrap(
        events,
        source=source,
        stream_id=stream,
        expected_version=0,
        metadata=Metadata(actor="t"),
        now=at,
    )


def registered(at: datetime = T0) -> list[EventEnvelope]:
    event = CustomerRegistered(
        customer_id=CUSTOMER,
        kind=PartyKind.PERSON,
        customer_type=CustomerType.CONSUMER,
        name="Ana",
        email="a@x.es",
    )
    return envelopes(f"customer-{CUSTOMER}", "crm.contacts", [event], at)


def order(n: int, total: str = "10.00", at: datetime = T0) -> list[EventEnvelope]:
    event = OrderPlaced(
        order_id=f"o{n}",
        customer_id=CUSTOMER,
        currency="EUR",
        total=Decimal(total),
        lines=(OrderLine(sku=f"S{n % 3}", quantity=1, unit_price=Decimal(total)),),
        payment_method="card" if n % 2 else "transfer",
    )
    return envelopes(f"order-o{n}", "crm.sales", [event], at + timedelta(hours=n))


def response(n: int, kind: ResponseKind) -> list[EventEnvelope]:
    event = CampaignResponseRecorded(
        campaign_id=f"k{n % 2}",
        customer_id=CUSTOMER,
        response=kind,
        channel=Channel.EMAIL,
        responded_at=T0 + timedelta(days=n),
    )
    return envelopes(f"campaign-k{n % 2}-customer-{CUSTOMER}-{n}", "crm.campaigns", [event], T0)


def case(n: int, kind: CaseKind) -> list[EventEnvelope]:
    event = CaseOpened(
        case_id=f"s{n}",
        customer_id=CUSTOMER,
        kind=kind,
        priority=Priority.LOW,
        channel="phone",
        subject="Help",
        description="private",
    )
    return envelopes(f"case-s{n}", "crm.support", [event], T0 + timedelta(minutes=n))


def test_each_context_fills_its_own_part() -> None:
    history = [
        *registered(),
        *order(1, "10.00"),
        *order(2, "5.50"),
        *response(1, ResponseKind.CONVERTED),
        *case(1, CaseKind.COMPLAINT),
    ]
    doc = fold(empty(CUSTOMER), history)
    assert doc["profile"]["name"] == "Ana"
    assert doc["sales"]["orders_count"] == 2
    assert doc["sales"]["revenue_by_currency"] == {"EUR": "15.50"}
    assert doc["sales"]["first_purchase_at"] < doc["sales"]["last_purchase_at"]
    assert doc["sales"]["payment_methods"] == ["card", "transfer"]
    assert doc["marketing"]["conversions"] == 1
    assert doc["support"]["complaints"] == 1
    assert "description" not in doc["support"]["cases"][0]  # personal text stays out of the view
    assert doc["events_applied"] == 5


def test_an_order_that_arrives_before_the_registration_still_lands() -> None:
    doc = fold(empty(CUSTOMER), [*order(1), *registered()])
    assert doc["sales"]["orders_count"] == 1
    assert doc["profile"]["name"] == "Ana"


def test_folding_leaves_its_input_alone() -> None:
    start = empty(CUSTOMER)
    fold(start, order(1))
    assert start == empty(CUSTOMER)


def history_strategy() -> st.SearchStrategy[list[EventEnvelope]]:
    parts = st.lists(
        st.one_of(
            st.integers(1, 40).map(lambda n: order(n, f"{n}.25")),
            st.tuples(st.integers(1, 40), st.sampled_from(list(ResponseKind))).map(
                lambda a: response(*a)
            ),
            st.tuples(st.integers(1, 40), st.sampled_from(list(CaseKind))).map(lambda a: case(*a)),
            st.just(registered()),
        ),
        max_size=25,
    )
    return parts.map(lambda ps: [e for p in ps for e in p])


@settings(max_examples=150, deadline=None)
@given(history=history_strategy(), seed=st.integers(0, 2**32 - 1), dupes=st.integers(0, 10))
def test_duplicates_and_shuffles_across_streams_fold_to_the_clean_history(
    history: list[EventEnvelope], seed: int, dupes: int
) -> None:
    # A stream position holds one event (the event store guarantees it).
    clean: dict[tuple[str, int], EventEnvelope] = {}
    for e in history:
        clean.setdefault((e.stream_id, e.stream_version), e)
    history = list(clean.values())
    expected = fold(empty(CUSTOMER), history)

    rng = random.Random(seed)
    delivered = list(history) + [rng.choice(history) for _ in range(dupes if history else 0)]
    rng.shuffle(delivered)  # every stream here has one event, so any order is a valid delivery
    doc = empty(CUSTOMER)
    for start in range(0, len(delivered), 4):  # in batches, as the projector does
        doc = fold(doc, delivered[start : start + 4])
    assert doc == expected


# --- contacts parts, merges and erasure ------------------------------------------------------

from crm_contacts_contracts import events as cev  # noqa: E402
from crm_kernel.domain.events import ERASED  # noqa: E402
from crm_projections.domain.customer_360 import absorb, is_pending_merge, public_view, tombstone  # noqa: E402


def contacts_events(
    customer: str, events: list[DomainEvent], at: datetime = T0
) -> list[EventEnvelope]:
    return wrap(
        events,
        source="crm.contacts",
        stream_id=f"customer-{customer}",
        expected_version=0,
        metadata=Metadata(actor="t"),
        now=at,
    )


def profile_history(customer: str) -> list[EventEnvelope]:
    return contacts_events(
        customer,
        [
            cev.CustomerRegistered(
                customer_id=customer,
                kind=cev.PartyKind.PERSON,
                customer_type=cev.CustomerType.CONSUMER,
                name="Ana",
            ),
            cev.ContactPointAdded(
                customer_id=customer,
                point_id="e",
                kind=cev.ContactPointKind.EMAIL,
                value="ana@x.es",
            ),
            cev.PrimaryContactPointSet(
                customer_id=customer, point_id="e", kind=cev.ContactPointKind.EMAIL
            ),
            cev.TagAdded(customer_id=customer, tag="vip"),
            cev.FamilyNoteRecorded(customer_id=customer, note="two kids"),
            cev.ConsentGiven(
                customer_id=customer,
                channel=cev.ConsentChannel.EMAIL,
                purpose=cev.ConsentPurpose.MARKETING,
                source="form",
                given_at=T0,
            ),
            cev.LifecycleChanged(
                customer_id=customer,
                previous=cev.Lifecycle.PROSPECT,
                lifecycle=cev.Lifecycle.ACTIVE,
            ),
            cev.LifecycleChanged(
                customer_id=customer,
                previous=cev.Lifecycle.ACTIVE,
                lifecycle=cev.Lifecycle.INACTIVE,
            ),
            cev.LifecycleChanged(
                customer_id=customer,
                previous=cev.Lifecycle.INACTIVE,
                lifecycle=cev.Lifecycle.ACTIVE,
            ),
        ],
    )


def test_contacts_events_fill_profile_contact_and_consent() -> None:
    view = public_view(fold(empty(CUSTOMER), profile_history(CUSTOMER)))
    assert view["profile"]["name"] == "Ana" and view["profile"]["tags"] == ["vip"]
    assert view["profile"]["lifecycle"] == "active" and view["profile"]["reactivations"] == 1
    assert view["contact"]["points"] == [
        {
            "id": "e",
            "kind": "email",
            "value": "ana@x.es",
            "label": None,
            "verified": False,
            "primary": True,
        }
    ]
    assert view["may_contact"]["email"] == {"marketing": True, "service": True}
    assert view["may_contact"]["sms"] == {"marketing": False, "service": True}


def test_erasure_scrubs_every_personal_value() -> None:
    history = profile_history(CUSTOMER)
    erased = wrap(
        [cev.CustomerErased(customer_id=CUSTOMER, requested_by="dpo", reason="art. 17")],
        source="crm.contacts",
        stream_id=f"customer-{CUSTOMER}",
        expected_version=len(history),
        metadata=Metadata(actor="t"),
    )
    doc = fold(empty(CUSTOMER), [*history, *erased])
    assert doc["erased"] and doc["profile"]["name"] == ERASED
    assert doc["contact"]["points"][0]["value"] == ERASED
    assert doc["profile"]["family_notes"][0]["note"] == ERASED
    assert "ana@x.es" not in str(doc) and "two kids" not in str(doc)


def test_absorbing_a_merged_customer_adds_up_and_is_idempotent() -> None:
    survivor = fold(empty("s"), [*order(1, "10.00")])
    merged = fold(empty(CUSTOMER), [*profile_history(CUSTOMER), *order(2, "5.00")])
    merged = fold(
        merged,
        wrap(
            [cev.CustomerMerged(customer_id=CUSTOMER, survivor_id="s")],
            source="crm.contacts",
            stream_id=f"customer-{CUSTOMER}",
            expected_version=9,
            metadata=Metadata(actor="t"),
        ),
    )
    assert is_pending_merge(merged)
    combined = absorb(survivor, merged)
    assert combined["sales"]["orders_count"] == 2
    assert combined["sales"]["revenue_by_currency"] == {"EUR": "15.00"}
    assert combined["merged_from"] == [CUSTOMER]
    assert combined["profile"]["tags"] == ["vip"]
    assert absorb(combined, merged) == combined
    stone = tombstone(merged)
    assert stone["merged_into"] == "s" and not is_pending_merge(stone)
    assert (
        fold(
            stone,
            wrap(
                [cev.CustomerMerged(customer_id=CUSTOMER, survivor_id="s")],
                source="crm.contacts",
                stream_id=f"customer-{CUSTOMER}",
                expected_version=9,
                metadata=Metadata(actor="t"),
            ),
        )
        == stone
    )


@settings(max_examples=150, deadline=None)
@given(
    history=history_strategy(),
    seed=st.integers(0, 2**32 - 1),
    dupes=st.integers(0, 12),
    batch=st.integers(1, 7),
)
def test_interleaved_topics_with_redeliveries_fold_to_the_clean_ordered_history(
    history: list[EventEnvelope], seed: int, dupes: int, batch: int
) -> None:
    """Each stream keeps its order (one partition), streams interleave at random (topics and
    partitions), and redeliveries repeat events after they were first seen."""
    clean: dict[tuple[str, int], EventEnvelope] = {}
    for e in [*profile_history(CUSTOMER), *history]:
        clean.setdefault((e.stream_id, e.stream_version), e)
    ordered = sorted(clean.values(), key=lambda e: (e.stream_id, e.stream_version))
    expected = fold(empty(CUSTOMER), ordered)

    rng = random.Random(seed)
    queues: dict[str, list[EventEnvelope]] = {}
    for e in ordered:
        queues.setdefault(e.stream_id, []).append(e)
    delivered: list[EventEnvelope] = []
    while any(queues.values()):
        stream = rng.choice([s for s, q in queues.items() if q])
        delivered.append(queues[stream].pop(0))
        if delivered and rng.random() < dupes / 20:
            delivered.append(rng.choice(delivered))  # a redelivery of something already seen
    doc = empty(CUSTOMER)
    for start in range(0, len(delivered), batch):
        doc = fold(doc, delivered[start : start + batch])
    assert doc == expected


def erasure(after: int) -> list[EventEnvelope]:
    return wrap(
        [cev.CustomerErased(customer_id=CUSTOMER, requested_by="dpo", reason="art. 17")],
        source="crm.contacts",
        stream_id=f"customer-{CUSTOMER}",
        expected_version=after,
        metadata=Metadata(actor="t"),
    )


def test_an_erased_customer_may_be_contacted_on_no_channel_for_no_purpose() -> None:
    history = profile_history(CUSTOMER)  # opted in to e-mail marketing; service by default
    view = public_view(fold(empty(CUSTOMER), [*history, *erasure(len(history))]))
    assert view["may_contact"] == {
        channel: {"marketing": False, "service": False}
        for channel in ("email", "sms", "phone", "whatsapp", "post")
    }


def legacy_duplicate(reason: str) -> list[EventEnvelope]:
    """A PossibleDuplicateFound as early producers wrote it: free text naming the value."""
    event = cev.PossibleDuplicateFound(customer_id=CUSTOMER, other_customer_id="c2", reason=reason)
    [envelope] = contacts_events(CUSTOMER, [event])
    return [envelope.model_copy(update={"data": {**envelope.data, "reason": reason}})]


def test_an_early_free_text_duplicate_reason_is_projected_as_its_code() -> None:
    old = legacy_duplicate("same email ana@x.es")
    assert old[0].data["reason"] == "same email ana@x.es"  # as it is on Kafka
    doc = fold(empty(CUSTOMER), old)
    assert doc["profile"]["possible_duplicates"] == [{"id": "c2", "reason": "same_email"}]
    assert "ana@x.es" not in str(doc)


def test_a_document_folded_before_reasons_were_codes_shows_the_code() -> None:
    doc = fold(empty(CUSTOMER), registered())
    doc["profile"]["possible_duplicates"] = [{"id": "c2", "reason": "same phone +34612345678"}]
    view = public_view(doc)
    assert view["profile"]["possible_duplicates"] == [{"id": "c2", "reason": "same_phone"}]
    assert "+34612345678" not in str(view)


def test_timeline_entries_of_early_duplicates_hold_the_code() -> None:
    from crm_projections.adapters.timeline_entries import entry, envelope_of, public_entry

    [old] = legacy_duplicate("same email ana@x.es")
    stored = entry(old)
    assert stored["data"]["reason"] == "same_email"
    # An entry stored before the fix is read back as the code.
    raw = {**stored, "data": old.data}
    assert envelope_of(raw).data["reason"] == "same_email"
    assert public_entry(envelope_of(raw))["data"]["reason"] == "same_email"


def test_the_products_bought_count_what_was_ordered_less_cancelled_and_returned() -> None:
    def placed(order_id: str, *lines: tuple[str, int]) -> OrderPlaced:
        return OrderPlaced(
            order_id=order_id, customer_id=CUSTOMER, currency="EUR", total=Decimal("1"),
            lines=tuple(OrderLine(sku=s, quantity=q, unit_price=Decimal("1")) for s, q in lines),
        )  # fmt: skip

    one = envelopes("order-o1", "crm.sales", [placed("o1", ("LAMP", 3), ("DESK", 1))], T0)
    returned = OrderLineReturned(
        order_id="o1", customer_id=CUSTOMER, return_id="r1", line=0, sku="LAMP", quantity=1,
        net=Decimal("1"), currency="EUR", reason="defective",
    )  # fmt: skip
    one += wrap([returned], source="crm.sales", stream_id="order-o1", expected_version=1,
                metadata=Metadata(actor="t"), now=T0 + timedelta(hours=1))  # fmt: skip
    two = envelopes("order-o2", "crm.sales", [placed("o2", ("LAMP", 2))], T0)
    cancelled = OrderCancelled(order_id="o2", customer_id=CUSTOMER, reason="duplicate",
                               total=Decimal("1"), currency="EUR")  # fmt: skip
    two += wrap([cancelled], source="crm.sales", stream_id="order-o2", expected_version=1,
                metadata=Metadata(actor="t"), now=T0 + timedelta(hours=2))  # fmt: skip
    doc = fold(empty(CUSTOMER), [*registered(), *one, *two])
    # LAMP: 3 + 2 ordered, 2 cancelled, 1 returned = 2; DESK: 1.
    assert doc["sales"]["quantities"] == {"DESK": 1, "LAMP": 2}
    assert fold(doc, [*one, *two]) == doc  # redelivered: nothing changes
