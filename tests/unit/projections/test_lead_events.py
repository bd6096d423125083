"""Sales' lead events on the read side (ADR 26): a lead is no customer until it converts, so
its events make no 360 document (live, in a rebuild and as of any time) and no lead is listed
among the pending customers; the timeline of the id it will have keeps each one as it
travelled (sealed personal fields)."""

from __future__ import annotations

from crm_contacts_contracts.events import CustomerRegistered, CustomerType, PartyKind
from crm_kernel import wire
from crm_kernel.domain.events import DomainEvent
from crm_kernel.privacy import PREFIX, new_key, seal
from crm_projections.adapters.timeline_entries import entry, envelope_of
from crm_projections.application.customer_360 import Customer360Projector
from crm_projections.domain import activities
from crm_projections.domain.customer_360 import about_a_customer, as_of

from tests.fakes import InMemoryKeyStore
from tests.unit.projections.test_customer_360 import T0, envelopes
from tests.unit.projections.test_remembered_first import RevisionStore
from tests.unit.projections.test_write_signals import NoRedirects
from tests.unit.sales.test_lead import (
    ASSIGNED,
    CAPTURED,
    CUSTOMER,
    DISQUALIFIED,
    QUALIFIED,
    RECYCLED,
    WORKING,
    converted,
)

LIFECYCLE: list[DomainEvent] = [CAPTURED, ASSIGNED, WORKING, DISQUALIFIED, RECYCLED, QUALIFIED]
HISTORY = envelopes("lead-l1", "crm.sales", LIFECYCLE, T0)


def test_the_lead_events_travel_and_decode_as_their_contracts() -> None:
    for envelope in HISTORY:
        message = wire.encode(envelope)
        decoded = wire.decode(message.headers, message.value)
        assert decoded.event() == envelope.event()
        assert decoded.key == CUSTOMER  # one lead's events on one partition


async def test_a_leads_events_make_no_360_document() -> None:
    store = RevisionStore()
    await Customer360Projector(store, NoRedirects(), InMemoryKeyStore()).handle(HISTORY)
    assert store.docs == {} and store.loads == []  # not even read
    assert not any(about_a_customer(e) for e in HISTORY)
    assert as_of(CUSTOMER, HISTORY) is None
    assert all(activities.key(e) is None for e in HISTORY)


async def test_beside_a_customers_events_a_leads_are_left_out_of_the_document() -> None:
    store = RevisionStore()
    projector = Customer360Projector(store, NoRedirects(), InMemoryKeyStore())
    converted = CustomerRegistered(
        customer_id=CUSTOMER,
        kind=PartyKind.PERSON,
        customer_type=CustomerType.CONSUMER,
        name="Ana Ruiz",
    )
    await projector.handle(
        [*HISTORY, *envelopes(f"customer-{CUSTOMER}", "crm.contacts", [converted], T0)]
    )
    doc = store.docs[CUSTOMER]
    assert "lead-l1" not in doc["applied"] and doc["profile"] is not None


def test_the_timeline_keeps_each_lead_event_sealed_as_it_travelled() -> None:
    key = new_key()
    sealed = seal(HISTORY[0], key)
    stored = entry(sealed)
    assert stored["customer_id"] == CUSTOMER and stored["type"] == "crm.sales.LeadCaptured.v1"
    assert stored["data"]["notes"].startswith(PREFIX)
    assert stored["data"]["channel"] == "trade_fair"
    assert envelope_of(stored) == sealed


async def test_a_converted_lead_is_the_customers_origin_in_the_360_view() -> None:
    store = RevisionStore()
    projector = Customer360Projector(store, NoRedirects(), InMemoryKeyStore())
    history = envelopes("lead-l1", "crm.sales", [*LIFECYCLE, converted()], T0)
    await projector.handle(history)
    sales = store.docs[CUSTOMER]["sales"]
    origin = {
        "id": "l1",
        "converted_at": history[-1].occurred_at.isoformat(),
        "channel": "trade_fair",
        "campaign_id": CAPTURED.campaign_id,
        "owner": "marta",
    }
    assert sales["origin"] == origin and sales["leads"] == [origin]
    assert list(store.docs[CUSTOMER]["applied"]) == ["lead-l1"]  # the conversion alone
    assert as_of(CUSTOMER, history)["sales"]["origin"] == origin  # type: ignore[index]
