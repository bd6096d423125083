"""Event histories built in code, for the benchmark and the replay tests: enveloped exactly as
a write service records them (source, stream, versions, actor and time)."""

from __future__ import annotations

from datetime import datetime

from crm_contacts_contracts import events as c
from crm_kernel.domain.envelope import EventEnvelope, Metadata, wrap
from crm_kernel.domain.events import DomainEvent


def stream_of(
    events: list[DomainEvent], stream_id: str, actor: str, at: datetime | None = None
) -> list[EventEnvelope]:
    """A new stream holding `events`, recorded by the context the first event belongs to."""
    return wrap(
        events,
        source=f"crm.{type(events[0]).context()}",
        stream_id=stream_id,
        expected_version=0,
        metadata=Metadata(actor=actor),
        now=at,
    )


def registered(customer_id: str, n: int, actor: str, at: datetime) -> list[EventEnvelope]:
    """Person number `n` registered with an e-mail address: a customer stream's first events."""
    return stream_of(
        [
            c.CustomerRegistered(
                customer_id=customer_id,
                kind=c.PartyKind.PERSON,
                customer_type=c.CustomerType.CONSUMER,
                name=f"Customer {n}",
            ),
            c.ContactPointAdded(
                customer_id=customer_id,
                point_id="e",
                kind=c.ContactPointKind.EMAIL,
                value=f"c{n}@example.com",
            ),
        ],
        f"customer-{customer_id}",
        actor,
        at,
    )
