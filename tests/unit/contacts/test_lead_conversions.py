"""A converted lead becomes a customer in contacts (ADR 29), on in-memory fakes: who is
registered, linked or attached, that a redelivery changes nothing, and that erasure reaches
the lead's data."""

from __future__ import annotations

import pytest
from crm_contacts.application.use_cases import ContactsUseCases
from crm_contacts.domain import customer as c
from crm_contacts_contracts import events as ev
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import NotFoundError
from crm_sales.domain.lead import organisation_id_of

from tests.fakes import InMemoryEventStore
from tests.unit.contacts.builders import use_cases
from tests.unit.sales.test_lead import CUSTOMER, LEAD, converted

META = Metadata(actor="marta")
PERSON, ORG, EXISTING = CUSTOMER, organisation_id_of(LEAD), "c-9"


async def register(app: ContactsUseCases, customer_id: str) -> None:
    await app.registration.register(
        c.RegisterCustomer(
            customer_id=customer_id,
            kind=ev.PartyKind.PERSON,
            customer_type=ev.CustomerType.CONSUMER,
            name="Ana Ruiz",
        ),
        META,
    )


async def types_of(store: InMemoryEventStore, customer_id: str) -> list[str]:
    return [
        e.event().__class__.__name__ for e in await store.read_stream(f"customer-{customer_id}")
    ]


async def test_a_person_and_company_become_a_customer_an_organisation_and_their_link() -> None:
    app, store, _ = use_cases()
    await app.lead_conversions.convert(converted(), META)
    person, org = await app.customers.state(PERSON), await app.customers.state(ORG)
    assert (person.kind, person.name, person.owner) == (ev.PartyKind.PERSON, "Ana Ruiz", "marta")
    assert (org.kind, org.name) == (ev.PartyKind.ORGANISATION, "Lámparas Ruiz SL")
    assert person.organisations == {ORG}
    assert sorted(p.value for p in person.points.values()) == ["+34600000001", "ana@ruiz.example"]
    assert org.points == {}  # the contact details are the person's
    registered = (await store.read_stream(f"customer-{PERSON}"))[0].event()
    assert isinstance(registered, ev.CustomerRegistered)
    assert registered.customer_type is ev.CustomerType.BUSINESS
    assert registered.acquisition_channel is ev.AcquisitionChannel.EVENT


async def test_a_redelivered_conversion_changes_nothing() -> None:
    app, store, _ = use_cases()
    await app.lead_conversions.convert(converted(), META)
    before = (await types_of(store, PERSON), await types_of(store, ORG))
    await app.lead_conversions.convert(converted(), META)
    assert (await types_of(store, PERSON), await types_of(store, ORG)) == before


async def test_a_company_alone_becomes_the_organisation() -> None:
    app, _, _ = use_cases()
    lead = converted(person_name=None, organisation_id=None, new_organisation=False)
    await app.lead_conversions.convert(lead, META)
    company = await app.customers.state(PERSON)
    assert (company.kind, company.name) == (ev.PartyKind.ORGANISATION, "Lámparas Ruiz SL")


async def test_a_contact_detail_contacts_refuses_leaves_the_customer_registered_without_it() -> (
    None
):
    app, _, _ = use_cases()
    lead = converted(email="not an e-mail", company_name=None, organisation_id=None)
    await app.lead_conversions.convert(lead, META)
    person = await app.customers.state(PERSON)
    assert person.registered and [p.value for p in person.points.values()] == ["+34600000001"]


async def test_a_lead_found_to_be_an_existing_customer_is_attached_to_it() -> None:
    app, store, _ = use_cases()
    await register(app, EXISTING)
    lead = converted(customer_id=EXISTING, new_customer=False, organisation_id=None)
    await app.lead_conversions.convert(lead, META)
    await app.lead_conversions.convert(lead, META)  # redelivered
    assert (await app.customers.state(EXISTING)).prospects == {PERSON}
    assert (await types_of(store, EXISTING)).count("LeadAttached") == 1
    assert not (await app.customers.state(PERSON)).registered  # no second customer


async def test_a_lead_attached_to_a_merged_customer_goes_to_the_survivor() -> None:
    app, _, _ = use_cases()
    for cid in (EXISTING, "c-survivor"):
        await register(app, cid)
    await app.merging.merge(EXISTING, "c-survivor", META)
    lead = converted(customer_id=EXISTING, new_customer=False, organisation_id=None)
    await app.lead_conversions.convert(lead, META)
    assert (await app.customers.state("c-survivor")).prospects == {PERSON}


async def test_erasing_the_customer_shreds_the_key_of_every_lead_found_to_be_them() -> None:
    app, _, keys = use_cases()
    await register(app, EXISTING)
    await keys.get_or_create(PERSON)  # the lead's events were sealed under it
    lead = converted(customer_id=EXISTING, new_customer=False, organisation_id=None)
    await app.lead_conversions.convert(lead, META)
    await app.erasure.erase(EXISTING, "dpo", "ticket 7", META)
    assert {EXISTING, PERSON} <= keys.erased and PERSON not in keys.keys


async def test_a_conversion_onto_an_erased_customer_shreds_the_leads_key() -> None:
    app, _, keys = use_cases()
    await register(app, EXISTING)
    await app.erasure.erase(EXISTING, "dpo", "ticket 7", META)
    await keys.get_or_create(PERSON)
    lead = converted(customer_id=EXISTING, new_customer=False, organisation_id=None)
    await app.lead_conversions.convert(lead, META)
    assert PERSON in keys.erased


async def test_a_conversion_onto_a_customer_contacts_never_registered_is_refused() -> None:
    app, _, _ = use_cases()
    lead = converted(customer_id=EXISTING, new_customer=False, organisation_id=None)
    with pytest.raises(NotFoundError, match=EXISTING):
        await app.lead_conversions.convert(lead, META)
