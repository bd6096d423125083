"""Values as an event's JSON carries them: read models store the strings the wire held.

Events are dumped by pydantic (`model_dump(mode="json")`); these spell a typed field the
same way, so a document folded from typed events equals one folded from the JSON. Spelled
here rather than through a pydantic TypeAdapter, which took several microseconds a value
(a unit test holds them to pydantic's spelling).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from crm_kernel.domain.envelope import EventEnvelope


def json_time(value: datetime) -> str:
    """ISO 8601 as pydantic writes it: a zero offset is `Z`."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def instant(value: datetime) -> str:
    """A fixed-width UTC timestamp: string order is time order."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def json_decimal(value: Decimal) -> str:
    return str(value)


def occurred(envelope: EventEnvelope) -> str:
    """When the event happened, as read models record it."""
    return envelope.occurred_at.isoformat()


def latest(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    return a if b is None or a >= b else b


def earliest(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    return a if b is None or a <= b else b
