"""Interactions (the communication history): commands, state, one decision per command.

One stream per interaction. An interaction that arrives twice from the same sender (same
source and external id) maps to the same stream and is recorded once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from crm_contacts_contracts.events import (
    ConsentChannel,
    ConsentPurpose,
    Direction,
    DurationSeconds,
    InteractionAnswered,
    InteractionChannel,
    InteractionLogged,
)
from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import DomainError, GoneError, NotFoundError
from crm_kernel.domain.events import DomainEvent
from crm_kernel.domain.senders import sender_id
from pydantic import BaseModel, ConfigDict

# Channels under consent rules; meetings, chats and in-platform messages are not.
CONSENT_CHANNEL = {
    InteractionChannel.EMAIL: ConsentChannel.EMAIL,
    InteractionChannel.SMS: ConsentChannel.SMS,
    InteractionChannel.PHONE_CALL: ConsentChannel.PHONE,
    InteractionChannel.WHATSAPP: ConsentChannel.WHATSAPP,
    InteractionChannel.LETTER: ConsentChannel.POST,
}
_SENDER_IDS = uuid.UUID("6b0d5c7e-2f43-4f7e-9d7c-0c1b3c2a9e51")


def stream_of(interaction_id: str) -> str:
    return f"interaction-{interaction_id}"


def interaction_id_for(source: str, external_id: str) -> str:
    """The same sender's id always maps to the same interaction: that is the deduplication."""
    return sender_id(_SENDER_IDS, source, external_id)


class CustomerFacts(BaseModel):
    """What the application layer read about the customer, for the decider to judge."""

    model_config = ConfigDict(frozen=True)

    registered: bool
    erased: bool
    may_contact: bool


class LogInteraction(BaseModel):
    model_config = ConfigDict(frozen=True)

    interaction_id: str
    customer_id: str
    channel: InteractionChannel
    direction: Direction
    purpose: ConsentPurpose = ConsentPurpose.SERVICE
    subject: str | None = None
    summary: str | None = None
    outcome: str | None = None
    duration_s: DurationSeconds | None = None
    handled_by: str | None = None
    occurred_at: datetime
    answered_at: datetime | None = None
    source: str = "api"
    external_id: str | None = None
    customer: CustomerFacts


class AnswerInteraction(BaseModel):
    model_config = ConfigDict(frozen=True)

    interaction_id: str
    answered_at: datetime


InteractionCommand = LogInteraction | AnswerInteraction


@dataclass(frozen=True)
class Interaction:
    logged: bool = False
    customer_id: str | None = None
    occurred_at: datetime | None = None
    answered: bool = False


decide: Decisions[Interaction, InteractionCommand] = Decisions()


@decide.on(LogInteraction)
def log(state: Interaction, command: LogInteraction) -> list[DomainEvent]:
    if state.logged:
        return []  # the same interaction again (a redelivery): recorded already
    facts = command.customer
    if not facts.registered:
        raise NotFoundError(f"unknown customer {command.customer_id}", field="customer_id")
    if facts.erased:
        raise GoneError(f"customer {command.customer_id} was erased")
    if command.direction is Direction.OUTBOUND and not facts.may_contact:
        raise DomainError(
            f"the customer does not allow {command.purpose} contact by {command.channel}",
            field="channel",
        )
    if command.answered_at is not None and command.answered_at < command.occurred_at:
        raise DomainError("answered_at is before occurred_at", field="answered_at")
    return [InteractionLogged(**command.model_dump(exclude={"customer"}))]


@decide.on(AnswerInteraction)
def answer(state: Interaction, command: AnswerInteraction) -> list[DomainEvent]:
    if not state.logged or state.customer_id is None or state.occurred_at is None:
        raise NotFoundError(f"unknown interaction {command.interaction_id}")
    if state.answered:
        return []
    if command.answered_at < state.occurred_at:
        raise DomainError("answered_at is before the interaction", field="answered_at")
    return [
        InteractionAnswered(
            interaction_id=command.interaction_id,
            customer_id=state.customer_id,
            interaction_occurred_at=state.occurred_at,
            answered_at=command.answered_at,
        )
    ]


def evolve(state: Interaction, event: DomainEvent) -> Interaction:
    if isinstance(event, InteractionLogged):
        return Interaction(
            logged=True,
            customer_id=event.customer_id,
            occurred_at=event.occurred_at,
            answered=event.answered_at is not None,
        )
    if isinstance(event, InteractionAnswered):
        return replace(state, answered=True)
    return state


interaction_decider: Decider[Interaction, InteractionCommand] = Decider(
    initial_state=Interaction, decide=decide, evolve=evolve
)
