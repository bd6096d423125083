"""Values as an event's JSON carries them: read models store the strings the wire held.

Events are dumped by pydantic (`model_dump(mode="json")`), so dumping a typed field the same
way gives back the string it travelled as: a rebuilt document equals the one folded before
folds read typed events.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from crm_kernel.domain.envelope import EventEnvelope
from pydantic import TypeAdapter

_DATETIME = TypeAdapter(datetime)
_DECIMAL = TypeAdapter(Decimal)


def json_time(value: datetime) -> str:
    text: str = _DATETIME.dump_python(value, mode="json")
    return text


def json_decimal(value: Decimal) -> str:
    text: str = _DECIMAL.dump_python(value, mode="json")
    return text


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
