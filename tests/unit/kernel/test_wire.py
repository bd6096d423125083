"""Envelope <-> Kafka record (CloudEvents binary mode), and what the decoder refuses."""

from __future__ import annotations

import json

import pytest
from crm_contacts_contracts.events import CustomerRegistered, CustomerType, PartyKind
from crm_kernel import wire
from crm_kernel.domain.envelope import Metadata, wrap

EVENT = CustomerRegistered(
    customer_id="c1", kind=PartyKind.PERSON, customer_type=CustomerType.BUSINESS, name="Ana"
)


def envelope():
    [e] = wrap(
        [EVENT],
        source="crm.contacts",
        stream_id="customer-c1",
        expected_version=0,
        metadata=Metadata(actor="alice", correlation_id="corr-1"),
    )
    return e


def test_round_trip_keeps_every_envelope_field() -> None:
    original = envelope()
    message = wire.encode(original)
    assert message.key == b"c1"  # the customer id: one customer's history stays ordered
    headers = dict(message.headers)
    assert headers["ce_type"] == b"crm.contacts.CustomerRegistered.v1"
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_actor"] == b"alice"
    assert wire.decode(message.headers, message.value) == original


def test_events_without_a_customer_are_keyed_by_stream() -> None:
    original = envelope().model_copy(update={"customer_id": None})
    assert wire.encode(original).key == b"customer-c1"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda h, v: ([], v), "ce_specversion"),
        (lambda h, v: ([x for x in h if x[0] != "ce_id"], v), "missing CloudEvents headers: ce_id"),
        (
            lambda h, v: ([(k, b"crm.x.Nope.v1" if k == "ce_type" else x) for k, x in h], v),
            "unknown event type",
        ),
        (lambda h, v: (h, b"{not json"), "not JSON"),
        (lambda h, v: (h, b"[1]"), "not a JSON object"),
        (lambda h, v: (h, json.dumps({"customer_id": "c1"}).encode()), "invalid event"),
    ],
)
def test_malformed_messages_are_refused_with_a_reason(mutate, reason: str) -> None:
    message = wire.encode(envelope())
    headers, value = mutate(message.headers, message.value)
    with pytest.raises(wire.MalformedMessageError, match=reason):
        wire.decode(headers, value)
