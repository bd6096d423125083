"""HTTP API of the campaigns context: translates requests into commands."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from crm_campaigns_contracts.events import Channel, ResponseKind
from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import Metadata, utcnow
from crm_kernel.http import CommandAccepted, accept, write_metadata
from crm_kernel.openapi import COMMAND_ERRORS
from crm_kernel.request_body import RequestBody
from crm_kernel.runtime import handler_of
from crm_kernel.timeinput import OccurredAt
from fastapi import APIRouter, Depends
from pydantic import Field

from crm_campaigns.domain.response import (
    RecordResponse,
    ResponseCommand,
    Responses,
    response_decider,
    stream_of,
)

router = APIRouter(tags=["campaigns"], responses=COMMAND_ERRORS)
Write = Annotated[Metadata, Depends(write_metadata("campaigns:write"))]
ResponseHandler = Annotated[
    CommandHandler[Responses, ResponseCommand], Depends(handler_of(response_decider))
]


class RecordResponseRequest(RequestBody):
    customer_id: UUID
    response: ResponseKind
    channel: Channel
    responded_at: OccurredAt = Field(default_factory=utcnow)


@router.post("/campaigns/{campaign_id}/responses", status_code=201, response_model=CommandAccepted)
async def record_response(
    campaign_id: UUID, body: RecordResponseRequest, metadata: Write, responses: ResponseHandler
) -> CommandAccepted:
    command = RecordResponse(campaign_id=str(campaign_id), **body.model_dump(mode="json"))
    return await accept(
        responses,
        stream_of(command.campaign_id, command.customer_id),
        command,
        # The response happened when the customer responded, not when it reached us.
        metadata.happened_at(body.responded_at),
        CommandAccepted,
    )
