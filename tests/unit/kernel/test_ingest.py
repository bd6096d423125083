"""The kernel's ingest (crm_kernel.adapters.kafka_ingest), which contacts' interactions and
sales' leads both use: given a record, when it is taken, then it is accepted once validated,
or rejected with the reason (invalid, refused by the rules), or left to be delivered again (a
concurrent write); unknown fields are ignored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from aiokafka import ConsumerRecord
from crm_contacts.domain.interaction import interaction_id_for
from crm_kernel.adapters.kafka_ingest import FromSender, Ingest
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import ConflictError, DomainError
from crm_kernel.domain.senders import sender_id
from crm_sales.domain.lead import lead_id_for


class Greeting(FromSender):
    text: str
    occurred_at: datetime | None = None


class Sink:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes | None, str]] = []

    async def send(self, record: ConsumerRecord[Any, Any], reason: str) -> None:
        self.sent.append((record.value, reason))


def record(value: bytes | dict[str, Any]) -> ConsumerRecord[Any, Any]:
    body = value if isinstance(value, bytes) else json.dumps(value).encode()
    return ConsumerRecord("t", 0, 7, 0, 0, b"k", body, None, len(b"k"), len(body), [])


GOOD = {"source": "webform", "external_id": "f-1", "text": "hola"}


def ingest(accept: Any) -> tuple[Ingest[Greeting], Sink]:
    sink = Sink()
    return Ingest(model=Greeting, accept=accept, rejected=sink, what="greeting"), sink


async def test_a_valid_message_is_accepted_with_the_sender_as_actor_and_its_time() -> None:
    taken: list[tuple[Greeting, Metadata]] = []

    async def accept(fields: Greeting, metadata: Metadata) -> None:
        taken.append((fields, metadata))

    take, sink = ingest(accept)
    await take.take(record({**GOOD, "occurred_at": "2026-11-30T10:00:00Z", "extra": 1}))
    [(fields, metadata)] = taken
    assert (fields.source, fields.external_id, fields.text) == ("webform", "f-1", "hola")
    assert metadata.actor == "ingest:webform"
    assert metadata.occurred_at == datetime(2026, 11, 30, 10, tzinfo=UTC)
    assert sink.sent == []  # the unknown field is ignored, not refused


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (b"not json", "invalid greeting: message: Invalid JSON"),
        ({**GOOD, "source": "Web Form"}, "invalid greeting: source: String should match"),
        ({"source": "webform", "text": "x"}, "invalid greeting: external_id: Field required"),
    ],
    ids=["not-json", "bad-source", "no-external-id"],
)
async def test_an_invalid_message_is_rejected_with_the_reason(value: Any, says: str) -> None:
    async def accept(fields: Greeting, metadata: Metadata) -> None:
        raise AssertionError("an invalid message is never accepted")

    take, sink = ingest(accept)
    await take.take(record(value))
    [(_, reason)] = sink.sent
    assert reason.startswith(says), reason


async def test_a_message_the_rules_refuse_is_rejected_with_their_message() -> None:
    async def accept(fields: Greeting, metadata: Metadata) -> None:
        raise DomainError("not a valid e-mail address", field="email")

    take, sink = ingest(accept)
    await take.take(record(GOOD))
    assert [reason for _, reason in sink.sent] == ["not a valid e-mail address"]


async def test_a_concurrent_write_is_left_to_be_delivered_again_not_rejected() -> None:
    async def accept(fields: Greeting, metadata: Metadata) -> None:
        raise ConflictError("stream moved on")

    take, sink = ingest(accept)
    with pytest.raises(ConflictError):
        await take.take(record(GOOD))
    assert sink.sent == []


def test_the_same_sender_id_always_names_the_same_thing_and_kinds_differ() -> None:
    space = UUID("6b0d5c7e-2f43-4f7e-9d7c-0c1b3c2a9e51")
    assert sender_id(space, "a", "1") == sender_id(space, "a", "1") != sender_id(space, "a", "2")
    assert interaction_id_for("webform", "f-1") == sender_id(space, "webform", "f-1")
    assert lead_id_for("webform", "f-1") == lead_id_for("webform", "f-1")
    assert lead_id_for("webform", "f-1") != interaction_id_for("webform", "f-1")
