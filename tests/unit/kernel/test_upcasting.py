"""Upcasters (crm_kernel.domain.upcasting, ADR 45): an event stored or published under an old
version of its contract reads as the current one wherever an envelope is built (from the
store's documents, the wire), its personal fields untouched; the first breaking change is
support's CaseOpened v2, whose channel became a list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.domain.upcasting import UPCASTERS, Upcasters
from crm_kernel.wire import decode, encode
from crm_support_contracts.events import CaseChannel, CaseOpened


def stored_v1(channel: str) -> dict[str, Any]:
    """A CaseOpened v1 as the event store keeps it: its free text sealed."""
    return {
        "event_id": str(uuid4()), "type": "crm.support.CaseOpened.v1", "source": "crm.support",
        "stream_id": "case-k1", "stream_version": 1, "customer_id": "c1",
        "occurred_at": datetime(2026, 1, 5, tzinfo=UTC), "recorded_at": datetime(2026, 1, 5, tzinfo=UTC),
        "actor": "agent", "correlation_id": "x",
        "data": {"case_id": "k1", "customer_id": "c1", "kind": "return", "priority": "high",
                 "channel": channel, "subject": "pii:v1:AAAA", "description": "pii:v1:BBBB"},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("said", "reads"),
    [("email", "email"), ("Phone_Call", "phone"), ("web", "web"), ("fax", "other")],
)
def test_a_stored_v1_case_reads_as_v2_with_its_channel_from_the_list(said: str, reads: str) -> None:
    envelope = EventEnvelope.model_validate(stored_v1(said))
    assert envelope.type == CaseOpened.event_type == "crm.support.CaseOpened.v2"
    event = envelope.event()
    assert isinstance(event, CaseOpened) and event.channel == CaseChannel(reads)
    assert (event.subject, event.description) == ("pii:v1:AAAA", "pii:v1:BBBB")  # as sealed
    assert (event.product_sku, event.order_id) == (None, None)


def test_a_v1_case_on_the_wire_reads_as_v2() -> None:
    current = EventEnvelope.model_validate(stored_v1("chat"))
    message = encode(current)
    headers = [(k, b"crm.support.CaseOpened.v1" if k == "ce_type" else v)
               for k, v in message.headers]  # fmt: skip
    old = message.value.replace(b'"channel":"chat"', b'"channel":"WhatsApp"')
    decoded = decode(headers, old)
    assert decoded.type == "crm.support.CaseOpened.v2"
    assert decoded.data["channel"] == "chat"


def test_an_upcaster_goes_one_version_up_and_is_registered_once() -> None:
    upcasters = Upcasters()
    with pytest.raises(ValueError, match="its next version"):
        upcasters.register("crm.x.Thing.v1", "crm.x.Thing.v3", dict)
    upcasters.register("crm.x.Thing.v1", "crm.x.Thing.v2", lambda d: {"b": d["a"]})
    upcasters.register("crm.x.Thing.v2", "crm.x.Thing.v3", lambda d: {**d, "c": 1})
    with pytest.raises(ValueError, match="has an upcaster already"):
        upcasters.register("crm.x.Thing.v1", "crm.x.Thing.v2", dict)
    assert upcasters.current("crm.x.Thing.v1", {"a": 0}) == ("crm.x.Thing.v3", {"b": 0, "c": 1})
    assert "crm.support.CaseOpened.v1" in UPCASTERS.retired()
