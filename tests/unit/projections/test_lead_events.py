"""Sales' lead events on the read side (ADR 26): no fold wants them yet, so the 360 document of
the customer id a lead will have stays pending with every section blank, folds them
idempotently, and the timeline keeps each one as it travelled (sealed personal fields)."""

from __future__ import annotations

from crm_kernel import wire
from crm_kernel.domain.events import DomainEvent
from crm_kernel.privacy import PREFIX, new_key, seal
from crm_projections.adapters.timeline_entries import entry, envelope_of
from crm_projections.domain import activities
from crm_projections.domain.customer_360 import empty, fold, public_view

from tests.unit.projections.test_customer_360 import T0, envelopes
from tests.unit.sales.test_lead import (
    ASSIGNED,
    CAPTURED,
    CUSTOMER,
    DISQUALIFIED,
    QUALIFIED,
    RECYCLED,
    WORKING,
)

LIFECYCLE: list[DomainEvent] = [CAPTURED, ASSIGNED, WORKING, DISQUALIFIED, RECYCLED, QUALIFIED]
HISTORY = envelopes("lead-l1", "crm.sales", LIFECYCLE, T0)


def test_the_lead_events_travel_and_decode_as_their_contracts() -> None:
    for envelope in HISTORY:
        message = wire.encode(envelope)
        decoded = wire.decode(message.headers, message.value)
        assert decoded.event() == envelope.event()
        assert decoded.key == CUSTOMER  # one lead's events on one partition


def test_the_360_document_of_a_leads_customer_id_stays_pending_and_blank() -> None:
    doc = fold(empty(CUSTOMER), HISTORY)
    bookkeeping = {"applied", "events_applied", "last_event_at"}
    assert {k: v for k, v in doc.items() if k not in bookkeeping} == {
        k: v for k, v in empty(CUSTOMER).items() if k not in bookkeeping
    }
    assert doc["events_applied"] == len(LIFECYCLE)
    assert doc["applied"] == {"lead-l1": len(LIFECYCLE)}
    assert public_view(doc)["registration"] == "pending"
    assert fold(doc, HISTORY) == doc  # redelivered: nothing changes
    assert all(activities.key(e) is None for e in HISTORY)


def test_the_timeline_keeps_each_lead_event_sealed_as_it_travelled() -> None:
    key = new_key()
    sealed = seal(HISTORY[0], key)
    stored = entry(sealed)
    assert stored["customer_id"] == CUSTOMER and stored["type"] == "crm.sales.LeadCaptured.v1"
    assert stored["data"]["notes"].startswith(PREFIX)
    assert stored["data"]["channel"] == "trade_fair"
    assert envelope_of(stored) == sealed
