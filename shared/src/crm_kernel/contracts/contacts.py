"""Events of the contacts context."""

from __future__ import annotations

from enum import StrEnum

from crm_kernel.domain.events import DomainEvent, OptionalPersonalStr, PersonalStr


class PartyKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class CustomerType(StrEnum):
    CONSUMER = "consumer"
    BUSINESS = "business"
    DISTRIBUTOR = "distributor"
    FRANCHISEE = "franchisee"
    INTERNAL = "internal"


class CustomerRegistered(DomainEvent):
    """A person or organisation became known to us as a customer (or prospect)."""

    event_type = "crm.contacts.CustomerRegistered.v1"

    customer_id: str
    kind: PartyKind
    customer_type: CustomerType
    name: PersonalStr
    email: OptionalPersonalStr = None
    phone: OptionalPersonalStr = None
