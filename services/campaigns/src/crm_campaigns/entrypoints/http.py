"""HTTP API of the campaigns context: translates requests into commands."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from crm_campaigns_contracts.events import Channel, ResponseKind
from crm_kernel.application import CommandHandler
from crm_kernel.auth import Principal
from crm_kernel.domain.envelope import utcnow
from crm_kernel.http import CommandAccepted, command_metadata, require_scope
from crm_kernel.openapi import COMMAND_ERRORS
from crm_kernel.request_body import RequestBody
from crm_kernel.runtime import handler_for
from crm_kernel.timeinput import OccurredAt
from fastapi import APIRouter, Depends, Request
from pydantic import Field

from crm_campaigns.domain.response import RecordResponse, stream_of

router = APIRouter(tags=["campaigns"], responses=COMMAND_ERRORS)
Writer = Annotated[Principal, Depends(require_scope("campaigns:write"))]
Responses = Annotated[CommandHandler[Any, Any], Depends(handler_for("response"))]


class RecordResponseRequest(RequestBody):
    customer_id: UUID
    response: ResponseKind
    channel: Channel
    responded_at: OccurredAt = Field(default_factory=utcnow)


@router.post("/campaigns/{campaign_id}/responses", status_code=201, response_model=CommandAccepted)
async def record_response(
    campaign_id: UUID,
    body: RecordResponseRequest,
    request: Request,
    principal: Writer,
    responses: Responses,
) -> CommandAccepted:
    command = RecordResponse(campaign_id=str(campaign_id), **body.model_dump(mode="json"))
    result = await responses.handle(
        stream_of(command.campaign_id, command.customer_id),
        command,
        # The response happened when the customer responded, not when it reached us.
        command_metadata(request, principal).model_copy(update={"occurred_at": body.responded_at}),
    )
    return CommandAccepted.of(result)
