"""Query API of the projections service."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from crm_kernel.auth import Principal
from crm_kernel.http import require_scope
from fastapi import APIRouter, Depends, HTTPException, Request

from crm_projections.domain.customer_360 import public_view

router = APIRouter(tags=["customers"])
Reader = Annotated[Principal, Depends(require_scope("projections:read"))]


@router.get("/customers/{customer_id}")
async def customer_360(customer_id: UUID, request: Request, _: Reader) -> dict[str, Any]:
    """The 360-degree view of one customer."""
    document = await request.app.state.read_store.get(str(customer_id))
    if document is None:
        raise HTTPException(status_code=404, detail=f"no customer {customer_id} in the 360 view")
    return public_view(document)
