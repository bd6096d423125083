"""HTTP API for the communication history and scheduled activities."""

from __future__ import annotations

from uuid import UUID, uuid4

from crm_contacts_contracts.events import (
    ActivityKind,
    ConsentPurpose,
    Direction,
    DurationSeconds,
    InteractionChannel,
)
from crm_kernel.domain.envelope import utcnow
from crm_kernel.http import CommandAccepted, accept
from crm_kernel.openapi import SUBJECT_COMMAND_ERRORS
from crm_kernel.request_body import Line, OptionalLine, OptionalText, RequestBody
from crm_kernel.timeinput import IsoDateTime, OccurredAt
from fastapi import APIRouter
from pydantic import Field

from crm_contacts.domain import activity, interaction
from crm_contacts.domain.interaction import interaction_id_for
from crm_contacts.entrypoints.dependencies import (
    ActivityHandler,
    InteractionHandler,
    Meta,
    UseCases,
)

router = APIRouter(tags=["interactions"], responses=SUBJECT_COMMAND_ERRORS)


class InteractionFields(RequestBody):
    """An interaction as HTTP clients and the ingest topic send it."""

    customer_id: UUID
    channel: InteractionChannel
    direction: Direction
    purpose: ConsentPurpose = ConsentPurpose.SERVICE
    subject: OptionalLine = Field(default=None, max_length=200)
    summary: OptionalText = Field(default=None, max_length=5000)
    outcome: OptionalLine = Field(default=None, max_length=200)
    duration_s: DurationSeconds | None = Field(default=None, strict=True)  # not `false`
    handled_by: OptionalLine = Field(default=None, max_length=100)
    occurred_at: OccurredAt = Field(default_factory=utcnow)
    answered_at: OccurredAt | None = None


class LogInteractionRequest(InteractionFields):
    interaction_id: UUID = Field(default_factory=uuid4)


class InteractionAccepted(CommandAccepted):
    interaction_id: str


@router.post("/interactions", status_code=201, response_model=InteractionAccepted)
async def log_interaction(
    body: LogInteractionRequest, app: UseCases, meta: Meta
) -> InteractionAccepted:
    """Log a contact through any channel. Outbound contact must respect the customer's consent."""
    fields = body.model_dump(mode="json")
    happened = meta.happened_at(body.occurred_at)
    result = await app.interactions.log({**fields, "source": "api"}, happened)
    return InteractionAccepted.of(result, interaction_id=fields["interaction_id"])


class AnswerRequest(RequestBody):
    answered_at: OccurredAt = Field(default_factory=utcnow)


@router.post("/interactions/{interaction_id}/answer", response_model=InteractionAccepted)
async def answer(
    interaction_id: UUID, body: AnswerRequest, interactions: InteractionHandler, meta: Meta
) -> InteractionAccepted:
    """The customer answered: responsiveness is measured from this."""
    command = interaction.AnswerInteraction(
        interaction_id=str(interaction_id), answered_at=body.answered_at
    )
    return await accept(
        interactions,
        interaction.stream_of(command.interaction_id),
        command,
        meta.happened_at(body.answered_at),
        InteractionAccepted,
        interaction_id=command.interaction_id,
    )


class ScheduleRequest(RequestBody):
    activity_id: UUID = Field(default_factory=uuid4)
    customer_id: UUID
    owner: Line = Field(min_length=1, max_length=100)
    kind: ActivityKind
    title: Line = Field(min_length=1, max_length=200)
    starts_at: IsoDateTime
    ends_at: IsoDateTime
    location: OptionalLine = Field(default=None, max_length=200)
    notes: OptionalText = Field(default=None, max_length=2000)


class ActivityAccepted(CommandAccepted):
    activity_id: str


@router.post("/activities", status_code=201, response_model=ActivityAccepted, tags=["activities"])
async def schedule(body: ScheduleRequest, app: UseCases, meta: Meta) -> ActivityAccepted:
    """Schedule a call, meeting or follow-up; it shows in the owner's iCalendar feed."""
    fields = body.model_dump(mode="json")
    result = await app.activities.schedule(fields, meta)
    return ActivityAccepted.of(result, activity_id=fields["activity_id"])


class CloseActivityRequest(RequestBody):
    note: OptionalText = Field(default=None, max_length=500)


@router.post(
    "/activities/{activity_id}/cancel", response_model=ActivityAccepted, tags=["activities"]
)
async def cancel(
    activity_id: UUID, body: CloseActivityRequest, activities: ActivityHandler, meta: Meta
) -> ActivityAccepted:
    command = activity.CancelActivity(activity_id=str(activity_id), reason=body.note)
    stream = activity.stream_of(command.activity_id)
    return await accept(
        activities, stream, command, meta, ActivityAccepted, activity_id=command.activity_id
    )


@router.post(
    "/activities/{activity_id}/complete", response_model=ActivityAccepted, tags=["activities"]
)
async def complete(
    activity_id: UUID, body: CloseActivityRequest, activities: ActivityHandler, meta: Meta
) -> ActivityAccepted:
    command = activity.CompleteActivity(activity_id=str(activity_id), outcome=body.note)
    stream = activity.stream_of(command.activity_id)
    return await accept(
        activities, stream, command, meta, ActivityAccepted, activity_id=command.activity_id
    )


__all__ = ["InteractionFields", "interaction_id_for", "router"]
