"""Personal fields are stored encrypted; without the customer's key they read as ERASED."""

from __future__ import annotations

from crm_contacts_contracts.events import CustomerRegistered, CustomerType, PartyKind
from crm_kernel.domain.envelope import EventEnvelope, Metadata, wrap
from crm_kernel.domain.events import ERASED
from crm_kernel.privacy import PREFIX, seal_all, unseal_all

from tests.fakes import InMemoryKeyStore


def registered(customer_id: str = "c1"):
    event = CustomerRegistered(
        customer_id=customer_id,
        kind=PartyKind.PERSON,
        customer_type=CustomerType.CONSUMER,
        name="Ana García",
        email="ana@example.com",
    )
    return wrap(
        [event],
        source="crm.contacts",
        stream_id=f"customer-{customer_id}",
        expected_version=0,
        metadata=Metadata(actor="t"),
    )


async def test_personal_fields_are_sealed_and_others_are_not() -> None:
    keys = InMemoryKeyStore()
    [sealed] = await seal_all(registered(), keys)
    assert sealed.data["name"].startswith(PREFIX)
    assert sealed.data["email"].startswith(PREFIX)
    assert sealed.data["phone"] is None
    assert sealed.data["customer_type"] == "consumer"
    [opened] = await unseal_all([sealed], keys)
    assert opened.data["name"] == "Ana García"
    assert opened.event() == registered()[0].event()


async def test_without_the_key_personal_fields_read_erased_and_still_parse() -> None:
    keys = InMemoryKeyStore()
    [sealed] = await seal_all(registered(), keys)
    assert await keys.delete("c1")
    [opened] = await unseal_all([sealed], keys)
    assert opened.data["name"] == ERASED
    assert opened.data["email"] == ERASED
    assert opened.event().name == ERASED


async def test_a_ciphertext_cannot_be_moved_to_another_customer() -> None:
    keys = InMemoryKeyStore()
    [a] = await seal_all(registered("a"), keys)
    [b] = await seal_all(registered("b"), keys)
    keys.keys["b"] = keys.keys["a"]  # even with the right key, the owner is bound in
    swapped = b.model_copy(update={"data": {**b.data, "name": a.data["name"]}})
    [opened] = await unseal_all([swapped], keys)
    assert opened.data["name"] == ERASED


async def test_an_unsealed_event_validated_on_decoding_is_not_validated_again(
    monkeypatch,
) -> None:
    keys = InMemoryKeyStore()
    [sealed] = await seal_all(registered(), keys)
    decoded = EventEnvelope.model_validate_json(sealed.model_dump_json())
    decoded.event()  # as the wire decoder does
    expected = registered()[0].event()
    validations: list[object] = []
    original = CustomerRegistered.model_validate.__func__  # type: ignore[attr-defined]

    def counting(cls, *args, **kwargs):
        validations.append(args)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(CustomerRegistered, "model_validate", classmethod(counting))
    [opened] = await unseal_all([decoded], keys)
    assert opened.event() == expected
    assert opened.event().name == "Ana García"  # the decrypted value, in the typed event too
    assert validations == []
    await keys.delete("c1")
    [erased] = await unseal_all([decoded], keys)
    assert erased.event().name == ERASED and erased.data["name"] == ERASED
