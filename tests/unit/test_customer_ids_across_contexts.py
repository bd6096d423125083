"""Customer ids across contexts (ADR 16): an id that contacts never registered reads
`registration: pending` in the 360 view and search until its registration is folded; every
context refuses a command naming an erased customer; an order, case or response for a merged
id lands on the survivor."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from crm_campaigns.domain.response import RecordResponse, response_decider
from crm_campaigns_contracts.events import Channel, ResponseKind
from crm_contacts.domain.customer import EraseCustomer, RegisterCustomer, customer_decider
from crm_contacts_contracts import events as cev
from crm_kernel.application import CommandHandler
from crm_kernel.domain.decider import Decider
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import GoneError
from crm_kernel.relay import Relay
from crm_projections.domain.customer_360 import as_of, empty, fold, public_view
from crm_sales.domain.order import PlaceOrder, order_decider
from crm_sales_contracts.events import OrderLine
from crm_support.domain.case import OpenCase, case_decider
from crm_support_contracts.events import CaseKind, Priority

from tests.fakes import InMemoryEventStore, InMemoryKeyStore, InMemoryPublisher
from tests.unit.projections.test_customer_360 import (
    CUSTOMER,
    T0,
    case,
    contacts_events,
    order,
    profile_history,
    registered,
    response,
)
from tests.unit.projections.test_merge_rebuild import (
    MERGED,
    SURVIVOR,
    in_order,
    merge_history,
    project,
)
from tests.unit.projections.test_merge_rebuild import order as order_for

# --- read side: pending until the registration is folded -------------------------------------


def test_an_id_named_only_by_other_contexts_is_pending_in_view_and_search() -> None:
    doc = fold(
        empty(CUSTOMER),
        [*order(1), *case(1, CaseKind.COMPLAINT), *response(1, ResponseKind.CLICKED)],
    )
    view = public_view(doc)
    assert view["profile"] is None
    assert view["registration"] == "pending"
    assert doc["search"]["registration"] == "pending"
    assert view["sales"]["orders_count"] == 1 and view["support"]["complaints"] == 1


def test_the_registration_turns_pending_into_registered_in_any_order() -> None:
    history = [
        *order(1),
        *case(2, CaseKind.RETURN),
        *registered(),
        *response(3, ResponseKind.OPENED),
    ]
    doc = fold(empty(CUSTOMER), history)
    for delivery in itertools.permutations(history):  # one stream each: any order is valid
        assert fold(empty(CUSTOMER), list(delivery)) == doc
    assert public_view(doc)["registration"] == "registered"
    assert doc["search"]["registration"] == "registered"


def test_a_new_document_is_pending_and_an_erased_one_stays_registered() -> None:
    assert empty(CUSTOMER)["search"]["registration"] == "pending"
    history = profile_history(CUSTOMER)
    erased = contacts_events(
        CUSTOMER,
        [
            *[e.event() for e in history],
            cev.CustomerErased(customer_id=CUSTOMER, requested_by="dpo", reason="art. 17"),
        ],
    )
    view = public_view(fold(empty(CUSTOMER), erased))
    assert view["erased"] is True and view["registration"] == "registered"


def test_as_of_before_the_registration_is_pending() -> None:
    events = [*order(1), *registered(at=T0.replace(month=2))]
    before = as_of(CUSTOMER, [e for e in events if e.type.startswith("crm.sales")])
    assert before is not None and public_view(before)["registration"] == "pending"
    after = as_of(CUSTOMER, events)
    assert after is not None and public_view(after)["registration"] == "registered"


# --- read side: an order for a merged id lands on the survivor -------------------------------


def test_an_order_for_a_merged_id_after_the_merge_lands_on_the_registered_survivor() -> None:
    events = in_order(merge_history(merged_orders=0, survivor_orders=0, erased=False))
    late = order_for(MERGED, 3)
    for batches in ([events, late], [late, events], [[*late, *events]]):
        docs = asyncio.run(project(batches))
        survivor = public_view(docs[SURVIVOR])
        assert survivor["sales"]["orders_count"] == 1, batches
        assert survivor["sales"]["orders"][0]["id"] == f"{MERGED}-3"
        assert survivor["registration"] == "registered"
        assert docs[MERGED]["tombstone"] and docs[MERGED]["merged_into"] == SURVIVOR


# --- write side: every context refuses an erased customer ------------------------------------


def commands(decider: Decider, keys: InMemoryKeyStore) -> tuple[CommandHandler, InMemoryEventStore]:
    store = InMemoryEventStore()
    relay = Relay(store, InMemoryPublisher())
    return CommandHandler(
        source="crm.t", decider=decider, store=store, keys=keys, relay=relay
    ), store


NAMING = [
    (
        order_decider,
        "order-o1",
        PlaceOrder(
            order_id="o1",
            customer_id=CUSTOMER,
            currency="EUR",
            lines=(OrderLine(sku="S", quantity=1, unit_price=Decimal("2.00")),),
        ),
    ),
    (
        case_decider,
        "case-s1",
        OpenCase(
            case_id="s1",
            customer_id=CUSTOMER,
            kind=CaseKind.COMPLAINT,
            priority=Priority.LOW,
            channel="phone",
            subject="Help",
            description="late",
            at=datetime(2026, 3, 2, 9, tzinfo=UTC),
        ),
    ),
    (
        response_decider,
        f"campaign-k1-customer-{CUSTOMER}",
        RecordResponse(
            campaign_id="k1",
            customer_id=CUSTOMER,
            response=ResponseKind.CLICKED,
            channel=Channel.EMAIL,
            responded_at=T0,
        ),
    ),
]


@pytest.mark.parametrize(
    ("decider", "stream", "command"), NAMING, ids=["order", "case", "response"]
)
async def test_a_command_naming_an_erased_customer_is_gone_in_every_context(
    decider: Decider, stream: str, command: object
) -> None:
    keys = InMemoryKeyStore()
    handler, store = commands(decider, keys)
    await keys.delete(CUSTOMER)
    with pytest.raises(GoneError):
        await handler.handle(stream, command, Metadata(actor="t"))
    assert store.commits == []  # nothing recorded, and no key minted
    assert CUSTOMER not in keys.keys


@pytest.mark.parametrize(
    ("decider", "stream", "command"), NAMING, ids=["order", "case", "response"]
)
async def test_a_command_naming_an_unregistered_customer_is_accepted(
    decider: Decider, stream: str, command: object
) -> None:
    handler, _ = commands(decider, InMemoryKeyStore())
    assert (await handler.handle(stream, command, Metadata(actor="t"))).version == 1


async def test_the_customer_stream_decides_its_own_erasure() -> None:
    """Contacts records `CustomerErased` on a merged stream after its key is gone (ADR 14):
    the shell leaves that to the customer decider."""
    keys = InMemoryKeyStore()
    handler, _ = commands(customer_decider, keys)
    register = RegisterCustomer(
        customer_id=CUSTOMER,
        kind=cev.PartyKind.PERSON,
        customer_type=cev.CustomerType.CONSUMER,
        name="Ana",
    )
    await handler.handle(f"customer-{CUSTOMER}", register, Metadata(actor="t"))
    await keys.delete(CUSTOMER)
    erase = EraseCustomer(customer_id=CUSTOMER, requested_by="dpo", reason="art. 17")
    result = await handler.handle(f"customer-{CUSTOMER}", erase, Metadata(actor="t"))
    assert result.state.erased
