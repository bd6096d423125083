"""Issue 10, high: one request could stop publishing for everyone. A 1.2 MB X-Correlation-ID
was stored in every event of its commit, which no broker then accepted; the relay, sweeping
streams in id order, failed on it every second and never reached the streams after it. Now the
header is taken only as a short token, a commit no broker would take is refused before it is
stored (413), and a stream the broker refuses is parked while every other stream goes on."""

from __future__ import annotations

import uuid

import pytest
import structlog
from aiokafka.errors import MessageSizeTooLargeError
from crm_contacts.domain.customer import RegisterCustomer
from crm_contacts_contracts.events import CustomerType, PartyKind
from crm_kernel import metrics
from crm_kernel.domain.envelope import EventEnvelope, Metadata
from crm_kernel.http import CORRELATION_HEADER
from crm_kernel.relay import Relay
from fastapi.testclient import TestClient

from tests.fakes import InMemoryEventStore, InMemoryPublisher
from tests.unit.kernel.test_http import app
from tests.unit.kernel.test_publish_bounds import commands, register


def test_only_a_short_token_is_taken_as_correlation_id() -> None:
    # Stored in every event forever: a 1.2 MB header made a commit that could never be
    # published and jammed the relay for every stream after it.
    from crm_kernel.http import correlation_id_from

    assert correlation_id_from("req-42.a_B") == "req-42.a_B"
    for bad in ("x" * 65, "x" * 1_200_000, "a b", "ümlaut", "", "a\nb", None):
        minted = correlation_id_from(bad)
        assert minted != bad and len(minted) == 36


def test_an_oversized_correlation_id_is_replaced_not_echoed() -> None:
    with TestClient(app()) as client:
        response = client.get("/echo", headers={CORRELATION_HEADER: "x" * 1_000})
    minted = response.headers[CORRELATION_HEADER]
    assert uuid.UUID(minted) and response.json() == {"correlation_id": minted}


class RefusesOneStream(InMemoryPublisher):
    """A broker that refuses one stream's commit for what it is (too large), for good."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused
        self.down = True

    async def publish(self, envelopes: list[EventEnvelope]) -> None:
        if self.down:
            raise ConnectionError("broker down")
        if any(e.stream_id == self.refused for e in envelopes):
            raise MessageSizeTooLargeError("The message is 1260000 bytes")
        await super().publish(envelopes)


async def test_a_stream_the_broker_refuses_is_parked_and_the_others_go_on() -> None:
    # Issue 10: a stream id that sorts first held a commit no broker accepts; every sweep
    # failed on it and never reached the streams after it.
    store = InMemoryEventStore()
    publisher = RefusesOneStream("customer-00000000")
    relay = Relay(store, publisher, publish_timeout_s=0.01)
    handler = commands(store, relay)
    for cid in ("00000000", "c1", "c2"):
        await handler.handle(f"customer-{cid}", register(cid), Metadata(actor="a"))
    publisher.down = False  # back, but it refuses the first stream's commit
    with structlog.testing.capture_logs() as logs:
        assert await relay.publish_pending() == 2
    assert {e.stream_id for e in publisher.published} == {"customer-c1", "customer-c2"}
    assert [
        entry["stream"]
        for entry in logs
        if entry["event"] == "stream parked: the broker refuses its commit"
    ] == ["customer-00000000"]
    assert metrics.PARKED_STREAMS._value.get() == 1
    # Later commits of the parked stream wait behind it; the next sweep skips it at once.
    assert await relay.publish_pending() == 0


async def test_a_commit_no_broker_would_take_is_refused_before_it_is_stored() -> None:
    from crm_kernel.application import TooLargeError

    store, publisher = InMemoryEventStore(), InMemoryPublisher()
    handler = commands(store, Relay(store, publisher))
    huge = RegisterCustomer(
        customer_id="c1",
        kind=PartyKind.PERSON,
        customer_type=CustomerType.CONSUMER,
        name="x" * 1_200_000,
    )
    with pytest.raises(TooLargeError, match="more than 1,000,000"):
        await handler.handle("customer-c1", huge, Metadata(actor="a"))
    assert store.commits == [] and publisher.published == []
