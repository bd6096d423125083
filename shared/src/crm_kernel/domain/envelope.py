"""The event envelope: what every stored and published event carries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_kernel.domain.events import REGISTRY, DomainEvent, parse_type_name
from crm_kernel.domain.upcasting import UPCASTERS


def utcnow() -> datetime:
    return datetime.now(UTC)


class Metadata(BaseModel):
    """Who asked for a change and why: copied onto every event the command produces."""

    model_config = ConfigDict(frozen=True)

    actor: str
    correlation_id: str = Field(default_factory=lambda: str(uuid4()))
    causation_id: str | None = None
    # When the fact happened, if the command says (a call logged later, an imported order);
    # None: when it is recorded.
    occurred_at: datetime | None = None

    def happened_at(self, when: datetime | None) -> Metadata:
        """The same request's metadata for a fact that happened at `when` (None: now)."""
        return self.model_copy(update={"occurred_at": when})


class EventEnvelope(BaseModel):
    """One event with its metadata. `data` holds the event model's fields as JSON."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID
    type: str
    source: str
    # Stream ids become keys of read-model documents: no '.' and no leading '$'.
    stream_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length=200)
    stream_version: int = Field(ge=1)
    customer_id: str | None
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    correlation_id: str
    causation_id: str | None = None
    data: dict[str, Any]

    @model_validator(mode="before")
    @classmethod
    def _current(cls, value: Any) -> Any:
        """An event stored under an older version of its contract reads as the current one."""
        if isinstance(value, dict) and value.get("type") in UPCASTERS:
            type_name, data = UPCASTERS.current(value["type"], value.get("data") or {})
            return {**value, "type": type_name, "data": data}
        return value

    @property
    def context(self) -> str:
        return parse_type_name(self.type)[0]

    @property
    def topic(self) -> str:
        return topic_for(self.context)

    @property
    def key(self) -> str:
        """Customer id when the event concerns a customer, else the stream id."""
        return self.customer_id or self.stream_id

    def event(self) -> DomainEvent:
        """The typed domain event (personal fields may read as ERASED), validated once per
        `data`: the wire decoder's validation is kept, and a copy with other data (unsealed,
        say) validates its own. Kept beside the fields, where equality and dumps ignore it."""
        made = self.__dict__.get(_TYPED)
        if made is None or made[0] is not self.data:
            made = (self.data, REGISTRY.get(self.type).model_validate(self.data))
            self.__dict__[_TYPED] = made
        event: DomainEvent = made[1]
        return event

    def with_values(self, values: dict[str, Any]) -> EventEnvelope:
        """A copy whose data holds `values` in place of those fields. A typed event validated
        already is carried over with the same values instead of being validated again: the
        replay spent a tenth of its time validating each unsealed personal event twice.
        `values` replace plain-text fields (decrypted or erased personal text)."""
        data = {**self.data, **values}
        copy = self.model_copy(update={"data": data})
        made = self.__dict__.get(_TYPED)
        if made is not None and made[0] is self.data:
            copy.__dict__[_TYPED] = (data, made[1].model_copy(update=values))
        return copy


_TYPED = "_typed_event"  # not a field: pydantic's __eq__ and dumps look at fields only


def topic_for(context: str) -> str:
    return f"crm.{context}.events"


def wrap(
    events: list[DomainEvent],
    *,
    source: str,
    stream_id: str,
    expected_version: int,
    metadata: Metadata,
    now: datetime | None = None,
) -> list[EventEnvelope]:
    """Envelope the events one command produced, numbered after `expected_version`."""
    at = now or utcnow()
    return [
        EventEnvelope(
            event_id=uuid4(),
            type=event.event_type,
            source=source,
            stream_id=stream_id,
            stream_version=expected_version + offset,
            customer_id=event.customer_key(),
            occurred_at=metadata.occurred_at.astimezone(UTC) if metadata.occurred_at else at,
            recorded_at=at,
            actor=metadata.actor,
            correlation_id=metadata.correlation_id,
            causation_id=metadata.causation_id,
            data=event.model_dump(mode="json"),
        )
        for offset, event in enumerate(events, start=1)
    ]
