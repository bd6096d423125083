"""Domain events, their registry, and the personal-data marker.

Every event type is a frozen pydantic model with a versioned type name
(`crm.<context>.<Name>.v<N>`). Subclasses register themselves, so the
catalogue, the wire decoder and the privacy layer all read one registry.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

TYPE_NAME = re.compile(
    r"^crm\.(?P<context>[a-z]+)\.(?P<name>[A-Z][A-Za-z]+)\.v(?P<version>[1-9]\d*)$"
)


class PersonalDataMarker:
    """Metadata marker: the field holds personal data and is stored encrypted."""

    def __repr__(self) -> str:
        return "PersonalData"


PERSONAL_DATA = PersonalDataMarker()
_PERSONAL_SCHEMA = Field(json_schema_extra={"x-personal-data": True})

# Personal fields are strings so an erased value can always be shown as ERASED.
PersonalStr = Annotated[str, PERSONAL_DATA, _PERSONAL_SCHEMA]
OptionalPersonalStr = Annotated[str | None, PERSONAL_DATA, _PERSONAL_SCHEMA]

ERASED = "[erased]"


class DomainEvent(BaseModel):
    """Base of every event type. Subclasses set `event_type`; their docstring describes them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    # True when validators rewrite values older events stored (free text that became a code):
    # readers of stored data then pass it through `as_current`.
    normalise_on_read: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "event_type" in cls.__dict__:
            REGISTRY.register(cls)

    @classmethod
    def describe(cls) -> str:
        return " ".join((cls.__doc__ or "").split())

    @classmethod
    def context(cls) -> str:
        return parse_type_name(cls.event_type)[0]

    def customer_key(self) -> str | None:
        """The customer this event concerns, if any (the Kafka key rule)."""
        value = getattr(self, "customer_id", None)
        return str(value) if value is not None else None


def parse_type_name(type_name: str) -> tuple[str, str, int]:
    match = TYPE_NAME.match(type_name)
    if match is None:
        raise ValueError(f"event type {type_name!r} is not of the form crm.<context>.<Name>.v<N>")
    return match["context"], match["name"], int(match["version"])


def personal_fields(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(
        name
        for name, info in model.model_fields.items()
        if any(isinstance(m, PersonalDataMarker) for m in info.metadata)
    )


class UnknownEventTypeError(KeyError):
    pass


class EventRegistry:
    """Maps versioned type names to event models."""

    def __init__(self) -> None:
        self._types: dict[str, type[DomainEvent]] = {}

    def register(self, cls: type[DomainEvent]) -> None:
        parse_type_name(cls.event_type)
        if cls.__doc__ is None or cls.__doc__ is DomainEvent.__doc__:
            raise TypeError(f"{cls.__name__} needs a docstring: it describes it in the catalogue")
        if personal_fields(cls) and "customer_id" not in cls.model_fields:
            # The data key is per customer: personal data needs a customer to belong to.
            raise TypeError(f"{cls.__name__} holds personal data but has no customer_id")
        existing = self._types.get(cls.event_type)
        if existing is not None and existing is not cls:
            raise TypeError(f"event type {cls.event_type} is registered twice")
        self._types[cls.event_type] = cls

    def get(self, type_name: str) -> type[DomainEvent]:
        try:
            return self._types[type_name]
        except KeyError:
            raise UnknownEventTypeError(type_name) from None

    def __contains__(self, type_name: object) -> bool:
        return type_name in self._types

    def all(self) -> list[type[DomainEvent]]:
        return [self._types[name] for name in sorted(self._types)]


REGISTRY = EventRegistry()


def as_current(type_name: str, data: dict[str, Any]) -> dict[str, Any]:
    """`data` as its contract reads it today: for a type that normalises on read, the values
    its validators rewrite (an old free-text value becomes its code); the same keys, and
    data that does not validate, unchanged."""
    if type_name not in REGISTRY or not REGISTRY.get(type_name).normalise_on_read:
        return data
    model = REGISTRY.get(type_name)
    try:
        current = model.model_validate(data).model_dump(mode="json")
    except ValidationError:
        return data
    return {k: current.get(k, v) for k, v in data.items()}
