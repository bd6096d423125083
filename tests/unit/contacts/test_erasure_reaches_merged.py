"""Erasure reaches every customer merged into the erased one, transitively, and a merged id
is erased through its survivor (ADR 14): the contacts application with in-memory fakes."""

from __future__ import annotations

import pytest
from crm_contacts.application.use_cases import ContactsUseCases
from crm_contacts.domain.customer import EraseCustomer, RegisterCustomer
from crm_contacts_contracts.events import CustomerErased, CustomerType, PartyKind
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import GoneError

from tests.fakes import InMemoryEventStore, InMemoryKeyStore
from tests.unit.contacts.builders import use_cases

META = Metadata(actor="t")


async def contacts_with(
    *names: str,
) -> tuple[ContactsUseCases, InMemoryEventStore, InMemoryKeyStore]:
    app, store, keys = use_cases()
    for name in names:
        register = RegisterCustomer(
            customer_id=name,
            kind=PartyKind.PERSON,
            customer_type=CustomerType.CONSUMER,
            name=f"Person {name}",
            email=f"{name}@example.com",
        )
        await app.registration.register(register, META)
    return app, store, keys


async def erasures(store: InMemoryEventStore, customer_id: str) -> list[CustomerErased]:
    return [
        e.event()  # type: ignore[misc]
        for e in await store.read_stream(f"customer-{customer_id}")
        if e.type == CustomerErased.event_type
    ]


async def test_erasing_a_survivor_shreds_every_customer_merged_into_it_transitively() -> None:
    app, store, keys = await contacts_with("a", "b", "c", "other")
    await app.merging.merge("c", "b", META)  # c into b, then b into a
    await app.merging.merge("b", "a", META)
    await app.erasure.erase("a", "dpo", "GDPR", META)
    assert keys.erased == {"a", "b", "c"} and set(keys.keys) == {"other"}
    for merged in ("b", "c"):
        [erased] = await erasures(store, merged)
        assert erased.survivor_id == "a" and erased.requested_by == "dpo"
    assert (await app.customers.state("b")).erased and (await app.customers.state("c")).erased
    export = await app.export.export("c")
    assert export["erased"] and "c@example.com" not in str(export)


async def test_erasing_a_merged_id_erases_it_through_its_survivor() -> None:
    app, _store, keys = await contacts_with("a", "b", "c")
    await app.merging.merge("c", "b", META)
    await app.merging.merge("b", "a", META)
    result = await app.erasure.erase("c", "dpo", "GDPR", META)
    assert result.stream_id == "customer-a"
    assert (await app.customers.state("a")).erased
    assert keys.erased == {"a", "b", "c"}
    with pytest.raises(GoneError, match="erased"):
        await app.erasure.erase("b", "dpo", "again", META)


async def test_an_erasure_cut_short_is_finished_by_asking_again() -> None:
    app, store, keys = await contacts_with("a", "b")
    await app.merging.merge("b", "a", META)
    # The survivor's erasure was recorded, then the service died before shredding anything.
    await app.customers.handle(
        EraseCustomer(customer_id="a", requested_by="dpo", reason="GDPR"), META
    )
    with pytest.raises(GoneError):
        await app.erasure.erase("b", "dpo", "GDPR", META)
    assert keys.erased == {"a", "b"}
    assert len(await erasures(store, "b")) == 1
