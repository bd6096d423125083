"""Query API of the projections service."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from crm_kernel.auth import Principal
from crm_kernel.http import require_scope
from fastapi import APIRouter, Depends, HTTPException, Request, Response

from crm_projections.domain.calendar import ics_feed
from crm_projections.domain.customer_360 import public_view

router = APIRouter()
Reader = Annotated[Principal, Depends(require_scope("projections:read"))]
MAX_FEED = 1000


@router.get("/customers/{customer_id}", tags=["customers"])
async def customer_360(customer_id: UUID, request: Request, _: Reader) -> dict[str, Any]:
    """The 360-degree view of one customer. A merged id answers with its survivor's view."""
    asked = str(customer_id)
    survivor = (await request.app.state.redirects.resolve_many([asked]))[asked]
    document = await request.app.state.read_store.get(survivor)
    if document is None:
        raise HTTPException(status_code=404, detail=f"no customer {customer_id} in the 360 view")
    view = public_view(document)
    if survivor != asked:
        view["redirected_from"] = asked
    return view


FeedReader = Annotated[Principal, Depends(require_scope("projections:read", query_token=True))]


@router.get("/owners/{owner}/calendar.ics", tags=["activities"])
async def calendar(owner: str, request: Request, _: FeedReader) -> Response:
    """The owner's calls, meetings and follow-ups as an iCalendar feed. Calendar apps that
    cannot send headers may pass the token as `?access_token=`."""
    activities = await request.app.state.activities.find(
        {"owner": owner}, sort=[("starts_at", 1)], limit=MAX_FEED
    )
    return Response(ics_feed(owner, activities), media_type="text/calendar; charset=utf-8")
