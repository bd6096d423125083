"""Events of the support context."""

from __future__ import annotations

from enum import StrEnum

from crm_kernel.domain.events import DomainEvent, PersonalStr


class CaseKind(StrEnum):
    QUESTION = "question"
    COMPLAINT = "complaint"
    RETURN = "return"
    INCIDENT = "incident"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class CaseOpened(DomainEvent):
    """A customer's service request was opened; the description may hold personal data."""

    event_type = "crm.support.CaseOpened.v1"

    case_id: str
    customer_id: str
    kind: CaseKind
    priority: Priority
    channel: str
    subject: str
    description: PersonalStr
