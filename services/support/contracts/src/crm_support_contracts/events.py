"""Events of the support context."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from crm_kernel.domain.events import DomainEvent, PersonalStr
from pydantic import Field

# Bounds shared by the request, the command and the event. Personal fields (the subject and
# the description) carry them on the request and the command only: on the wire and in the
# store they hold ciphertext, which is longer.
CHANNEL = Field(min_length=1, max_length=40)
SUBJECT = Field(min_length=1, max_length=200)
CaseChannel = Annotated[str, CHANNEL]
CaseSubject = Annotated[str, SUBJECT]
# Who works a case: an agent's or a team's handle, as owners are named elsewhere.
ASSIGNEE = Field(min_length=1, max_length=100)
Assignee = Annotated[str, ASSIGNEE]


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
    """A customer's service request was opened; its subject and description are free text,
    personal data like every free text."""

    event_type = "crm.support.CaseOpened.v1"

    case_id: str
    customer_id: str
    kind: CaseKind
    priority: Priority
    channel: CaseChannel
    subject: PersonalStr
    description: PersonalStr


class CaseAssigned(DomainEvent):
    """A case was given to an agent or a team to work (again, when it changes hands)."""

    event_type = "crm.support.CaseAssigned.v1"

    case_id: str
    customer_id: str
    assignee: Assignee
