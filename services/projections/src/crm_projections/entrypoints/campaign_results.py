"""Query API of the campaign results read model: one campaign's status, budget and cost so far,
its audience's size and who was left out, by reason (ADR 52)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from crm_kernel.openapi import errors
from fastapi import APIRouter, HTTPException, Request

from crm_projections.entrypoints.http import Reader, models

router = APIRouter(tags=["campaigns"])
INTERNAL = ("applied", "_rev", "_w")


@router.get("/campaigns/{campaign_id}/results", responses=errors(404))
async def campaign_results(campaign_id: UUID, request: Request, _: Reader) -> dict[str, Any]:
    found = await models(request).campaign_results.get(str(campaign_id))
    if found is None or found.get("name") is None:
        raise HTTPException(
            status_code=404,
            detail=[{"loc": ["path", "campaign_id"], "msg": f"no campaign {campaign_id}",
                     "type": "not_found"}],
        )  # fmt: skip
    return {"campaign_id": found["_id"], **{k: v for k, v in found.items()
                                            if k != "_id" and k not in INTERNAL}}  # fmt: skip
