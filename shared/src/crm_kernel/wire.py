"""Events on Kafka: CloudEvents binary mode (envelope in `ce_*` headers, data as JSON body).

The decoder knows the event types registered in this process: those of the contracts packages
it imported (a consumer imports the contracts of every context it reads).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.domain.events import REGISTRY
from crm_kernel.domain.upcasting import UPCASTERS

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"

# envelope field -> CloudEvents attribute (extensions are lowercase alphanumerics)
_ATTRIBUTES = {
    "event_id": "ce_id",
    "type": "ce_type",
    "source": "ce_source",
    "occurred_at": "ce_time",
    "stream_id": "ce_subject",
    "stream_version": "ce_streamversion",
    "customer_id": "ce_customerid",
    "recorded_at": "ce_recordedat",
    "actor": "ce_actor",
    "correlation_id": "ce_correlationid",
    "causation_id": "ce_causationid",
}

Headers = Sequence[tuple[str, bytes]]


@dataclass(frozen=True)
class Message:
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


class MalformedMessageError(ValueError):
    """A message that is not a valid CRM event: it goes to the dead-letter topic."""


def encode(envelope: EventEnvelope) -> Message:
    dumped = envelope.model_dump(mode="json")
    headers = [("ce_specversion", SPEC_VERSION.encode()), ("content-type", CONTENT_TYPE.encode())]
    for field, attribute in _ATTRIBUTES.items():
        value = dumped[field]
        if value is not None:
            headers.append((attribute, str(value).encode()))
    body = json.dumps(envelope.data, separators=(",", ":"), sort_keys=True).encode()
    return Message(key=envelope.key.encode(), value=body, headers=headers)


def decode(headers: Headers | None, value: bytes | None) -> EventEnvelope:
    """Parse a Kafka record into an envelope; MalformedMessageError says why it is not one."""
    found = {name: raw.decode("utf-8", "replace") for name, raw in headers or () if raw is not None}
    if found.get("ce_specversion") != SPEC_VERSION:
        raise MalformedMessageError("missing or unsupported ce_specversion header")
    fields: dict[str, object] = {}
    for field, attribute in _ATTRIBUTES.items():
        if attribute in found:
            fields[field] = found[attribute]
    missing = [a for f, a in _ATTRIBUTES.items() if a not in found and f not in _OPTIONAL]
    if missing:
        raise MalformedMessageError(f"missing CloudEvents headers: {', '.join(missing)}")
    if fields["type"] not in REGISTRY and fields["type"] not in UPCASTERS:
        raise MalformedMessageError(f"unknown event type {fields['type']}")
    try:
        data = json.loads(value or b"")
    except ValueError as error:
        raise MalformedMessageError(f"body is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise MalformedMessageError("body is not a JSON object")
    fields.setdefault("customer_id", None)
    try:
        envelope = EventEnvelope.model_validate({**fields, "data": data})
        # Personal fields may still be ciphertext: they are strings either way. The typed
        # event stays with the envelope for its readers (projections folds on it).
        envelope.event()
    except ValidationError as error:
        raise MalformedMessageError(f"invalid event: {validation_summary(error)}") from None
    return envelope


_OPTIONAL = {"customer_id", "causation_id"}


def validation_summary(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}" for e in error.errors()
    )
