"""Sales' converted leads, from its event topic: each `LeadConverted` becomes a customer here
(ADR 29). Offsets are committed once the batch is handled, so a crash redelivers it and the
use case's checks make the redelivery change nothing. A conversion contacts refuses (onto a
customer it never registered, say) goes, sealed as it came, to the rejected topic with the
reason; a concurrent write is retried.
"""

from __future__ import annotations

import structlog
from crm_kernel.adapters.kafka_subscriber import BACKGROUND, KafkaDeadLetters, subscribe_batches
from crm_kernel.adapters.kafka_watchdog import WatchedConsumer
from crm_kernel.domain.envelope import EventEnvelope, Metadata, topic_for
from crm_kernel.domain.errors import ConflictError, DomainError
from crm_kernel.ports.keystore import KeyStore
from crm_kernel.privacy import unseal_all
from crm_kernel.wire import encode
from crm_sales_contracts.events import LeadConverted
from faststream.kafka import KafkaBroker

from crm_contacts.application.lead_conversions import LeadConversions

SALES_EVENTS = topic_for("sales")
GROUP = "crm-contacts-lead-conversions"
REJECTED_TOPIC = "crm.contacts.conversions.rejected"
DEAD_LETTERS = "crm.contacts-lead-conversions.dlt"

log = structlog.get_logger(__name__)


def subscribe_conversions(
    broker: KafkaBroker, conversions: LeadConversions, keys: KeyStore, stall_after_s: float
) -> WatchedConsumer:
    async def on_events(envelopes: list[EventEnvelope]) -> None:
        converted = [e for e in envelopes if e.type == LeadConverted.event_type]
        for sealed, envelope in zip(converted, await unseal_all(converted, keys), strict=True):
            event = envelope.event()
            assert isinstance(event, LeadConverted)
            try:
                await conversions.convert(event, metadata_of(envelope))
            except ConflictError:
                raise  # a concurrent write: the batch is retried, and deduplicates
            except DomainError as error:
                log.warning("lead conversion refused", reason=error.message, lead=event.lead_id)
                await _reject(broker, sealed, error.message)

    return subscribe_batches(
        broker,
        topics=[SALES_EVENTS],
        group_id=GROUP,
        handler=on_events,
        dead_letters=KafkaDeadLetters(broker, DEAD_LETTERS),
        stall_after_s=stall_after_s,
        fetch=BACKGROUND,
    )


def metadata_of(envelope: EventEnvelope) -> Metadata:
    """The conversion's metadata: who converted it, when, caused by the sales event."""
    return Metadata(
        actor=envelope.actor,
        correlation_id=envelope.correlation_id,
        causation_id=str(envelope.event_id),
        occurred_at=envelope.occurred_at,
    )


async def _reject(broker: KafkaBroker, envelope: EventEnvelope, reason: str) -> None:
    message = encode(envelope)  # still sealed: the rejected copy holds nothing in clear
    headers = {name: value.decode() for name, value in message.headers}
    headers["rejected_reason"] = reason
    await broker.publish(message.value, REJECTED_TOPIC, key=message.key, headers=headers)
