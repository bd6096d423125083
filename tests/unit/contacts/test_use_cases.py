"""The contacts use cases that read other streams or the duplicate lookup, on in-memory fakes:
what only the end-to-end tests reached before (ADR 6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from crm_contacts.application.key_tombstones import tombstone_earlier_erasures
from crm_contacts.application.use_cases import ContactsUseCases
from crm_contacts.domain import customer as c
from crm_contacts_contracts import events as ev
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import DomainError, GoneError, NotFoundError

from tests.fakes import InMemoryEventStore, InMemoryKeyStore
from tests.unit.contacts.builders import FakeDuplicateLookup, use_cases

META = Metadata(actor="t")
NOW = datetime.now(UTC) - timedelta(minutes=1)


def person(cid: str, name: str = "Ana García", **extra: Any) -> c.RegisterCustomer:
    return c.RegisterCustomer(
        customer_id=cid,
        kind=ev.PartyKind.PERSON,
        customer_type=ev.CustomerType.CONSUMER,
        name=name,
        **extra,
    )


def organisation(cid: str) -> c.RegisterCustomer:
    return c.RegisterCustomer(
        customer_id=cid,
        kind=ev.PartyKind.ORGANISATION,
        customer_type=ev.CustomerType.BUSINESS,
        name="Acme",
    )


async def events_of(store: InMemoryEventStore, stream: str) -> list[Any]:
    return [e.event() for e in await store.read_stream(stream)]


def interaction(cid: str, **extra: Any) -> dict[str, Any]:
    return {
        "interaction_id": f"i-{cid}",
        "customer_id": cid,
        "channel": "email",
        "direction": "outbound",
        "occurred_at": NOW,
        **extra,
    }


async def test_registering_the_same_email_reports_and_records_the_other_customer() -> None:
    index = FakeDuplicateLookup()
    app, store, _ = use_cases(index)
    first = await app.registration.register(person("a", email="ana@example.com"), META)
    assert first.possible_duplicates == []
    second = await app.registration.register(person("b", email="ANA@example.com"), META)
    assert [(d.customer_id, d.reason) for d in second.possible_duplicates] == [
        ("a", ev.DuplicateReason.SAME_EMAIL)
    ]
    found = [
        e for e in await events_of(store, "customer-b") if isinstance(e, ev.PossibleDuplicateFound)
    ]
    assert [(e.other_customer_id, e.reason) for e in found] == [
        ("a", ev.DuplicateReason.SAME_EMAIL)
    ]
    assert index.values[("email", "ana@example.com")] == ["a", "b"]


async def test_every_kind_of_phone_matches_and_a_removed_point_leaves_the_lookup() -> None:
    index = FakeDuplicateLookup()
    app, _, _ = use_cases(index)
    await app.registration.register(person("a", phone="+34 612 345 678"), META)
    await app.registration.register(person("b"), META)
    whatsapp = c.AddContactPoint(
        customer_id="b", point_id="wa", kind=ev.ContactPointKind.WHATSAPP, value="+34612345678"
    )
    outcome = await app.registration.add_contact_point(whatsapp, META)
    assert [(d.customer_id, d.reason) for d in outcome.possible_duplicates] == [
        ("a", ev.DuplicateReason.SAME_PHONE)
    ]
    await app.registration.remove_contact_point(
        c.RemoveContactPoint(customer_id="a", point_id="registration-phone"), META
    )
    assert index.values[("phone", "+34612345678")] == ["b"]
    postal = c.AddContactPoint(
        customer_id="b", point_id="home", kind=ev.ContactPointKind.POSTAL, value="Calle Mayor 1"
    )
    assert (await app.registration.add_contact_point(postal, META)).possible_duplicates == []
    assert ("phone", "Calle Mayor 1") not in index.values  # addresses are not matched


async def test_linking_checks_the_organisation_and_reports_similar_names_in_it() -> None:
    index = FakeDuplicateLookup()
    app, _, _ = use_cases(index)
    await app.registration.register(organisation("org"), META)
    await app.registration.register(person("a", name="José Pérez"), META)
    await app.registration.register(person("b", name="JOSE  PEREZ"), META)
    await app.registration.register(person("x", name="Someone Else"), META)
    assert (await app.organisations.link("a", "org", "buyer", META)).possible_duplicates == []
    outcome = await app.organisations.link("b", "org", "buyer", META)
    assert [(d.customer_id, d.reason) for d in outcome.possible_duplicates] == [
        ("a", ev.DuplicateReason.SIMILAR_NAME_IN_ORGANISATION)
    ]
    with pytest.raises(DomainError, match="not an organisation"):
        await app.organisations.link("x", "a", "friend", META)  # a is a person
    with pytest.raises(NotFoundError, match="unknown organisation nope"):
        await app.organisations.link("x", "nope", "buyer", META)
    await app.organisations.end_link("a", "org", META)
    assert set(index.members["org"]) == {"b"}


async def test_a_merge_needs_a_live_survivor_and_redirects_later_interactions() -> None:
    index = FakeDuplicateLookup()
    app, store, _ = use_cases(index)
    for cid in ("a", "b"):
        await app.registration.register(person(cid, email=f"{cid}@example.com"), META)
    with pytest.raises(NotFoundError, match="unknown customer nope"):
        await app.merging.merge("b", "nope", META)
    await app.merging.merge("b", "a", META)
    assert index.forgotten == ["b"] and index.values[("email", "b@example.com")] == []
    assert (await app.customers.state("a")).absorbed == frozenset({"b"})
    with pytest.raises(GoneError, match="erased or merged"):
        await app.merging.merge("a", "b", META)
    result = await app.interactions.log(interaction("b", direction="inbound"), META)
    [logged] = await events_of(store, result.stream_id)
    assert logged.customer_id == "a"  # the merged id's interaction lands on its survivor
    scheduled = await app.activities.schedule(
        {
            "activity_id": "act",
            "customer_id": "b",
            "owner": "sam",
            "kind": "call",
            "title": "Call back",
            "starts_at": NOW,
            "ends_at": NOW + timedelta(hours=1),
        },
        META,
    )
    assert (await events_of(store, scheduled.stream_id))[0].customer_id == "a"


async def test_outbound_contact_follows_the_customers_consent() -> None:
    app, _, _ = use_cases()
    await app.registration.register(person("a"), META)
    await app.interactions.log(interaction("a", interaction_id="service"), META)  # service: allowed
    with pytest.raises(DomainError, match="does not allow marketing contact"):
        await app.interactions.log(interaction("a", interaction_id="m1", purpose="marketing"), META)
    opt_in = c.GiveConsent(
        customer_id="a",
        channel=ev.ConsentChannel.EMAIL,
        purpose=ev.ConsentPurpose.MARKETING,
        source="web-form",
        at=NOW,
    )
    await app.customers.handle(opt_in, META)
    result = await app.interactions.log(
        interaction("a", interaction_id="m2", purpose="marketing"), META
    )
    assert result.version == 1
    # Channels without consent rules (a meeting) need none.
    await app.interactions.log(
        interaction("a", interaction_id="m3", channel="meeting", purpose="marketing"), META
    )
    with pytest.raises(NotFoundError, match="unknown customer nobody"):
        await app.interactions.log(interaction("nobody", direction="inbound"), META)


async def test_the_export_names_only_known_customers() -> None:
    app, _, _ = use_cases()
    with pytest.raises(NotFoundError, match="unknown customer a"):
        await app.export.export("a")
    await app.registration.register(person("a", email="ana@example.com"), META)
    export = await app.export.export("a")
    assert export["customer_id"] == "a" and not export["erased"]
    assert export["events"][0]["type"] == ev.CustomerRegistered.event_type
    assert "ana@example.com" in str(export)  # readable: the right of access


class Upgrades:
    def __init__(self) -> None:
        self.done: dict[str, int] = {}

    async def is_done(self, name: str) -> bool:
        return name in self.done

    async def mark_done(self, name: str, customers: int) -> None:
        self.done.setdefault(name, customers)


async def erased_before_tombstones(app: ContactsUseCases, keys: InMemoryKeyStore, cid: str) -> None:
    """An erasure recorded as before key tombstones: the key gone, no tombstone left."""
    await app.customers.handle(
        c.EraseCustomer(customer_id=cid, requested_by="dpo", reason="t"), META
    )
    keys.keys.pop(cid, None)


async def test_earlier_erasures_get_their_key_tombstones_once() -> None:
    app, store, keys = use_cases()
    for cid in ("erased", "kept", "recent"):
        await app.registration.register(person(cid), META)
    await erased_before_tombstones(app, keys, "erased")
    await app.erasure.erase("recent", "dpo", "t", META)  # tombstoned as erasure does now
    upgrades = Upgrades()
    assert await tombstone_earlier_erasures(store, keys, upgrades) == 1
    assert keys.erased == {"erased", "recent"} and "kept" in keys.keys
    assert upgrades.done == {"key-tombstones": 1}
    await erased_before_tombstones(app, keys, "kept")
    assert await tombstone_earlier_erasures(store, keys, upgrades) == 0  # once per store
    assert "kept" not in keys.erased
