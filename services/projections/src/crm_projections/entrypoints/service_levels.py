"""Query API of the service-levels read model (ADR 50): the open cases with their deadlines and
time left, one case's targets, and the figures per priority, team or agent; now or as they
stood at a time (`as_of`, `basis`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from crm_kernel.openapi import errors
from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import Field

from crm_projections.application import service_level_queries
from crm_projections.application.pipeline_queries import TooManyToRead
from crm_projections.entrypoints.http import Reader, models
from crm_projections.entrypoints.quotes import WhenQuery, when_of

router = APIRouter(tags=["service levels"])


class OpenCasesQuery(WhenQuery):
    team_id: UUID | None = None
    assignee: str | None = Field(default=None, min_length=1, max_length=100)
    limit: int = Field(default=100, ge=1, le=1000, description="The soonest deadlines first")


@router.get("/service-levels/cases", responses=errors(422))
async def open_cases(
    request: Request, _: Reader, query: Annotated[OpenCasesQuery, Query()]
) -> dict[str, Any]:
    """Every open case, soonest deadline first, each target ongoing (with `left_s`, the
    seconds left at the time read for), paused (waiting on the customer), met or breached."""
    when = when_of(query)[0]
    team = str(query.team_id) if query.team_id else None
    try:
        found = await service_level_queries.open_cases(
            models(request).service_levels, when, team, query.assignee
        )
    except TooManyToRead as error:
        raise HTTPException(status_code=422, detail=str(error)) from None
    return {"as_of": when.at, "items": found[: query.limit], "more": len(found) > query.limit}


class SummaryQuery(WhenQuery):
    by: Literal["priority", "team_id", "assignee"] = Field(
        default="priority",
        description="priority: the one each case opened with (which chose its targets)",
    )


@router.get("/service-levels/summary", responses=errors(422))
async def summary(
    request: Request, _: Reader, query: Annotated[SummaryQuery, Query()]
) -> dict[str, Any]:
    """Per group: first-response and resolution times (working seconds, p50 and p90 nearest
    rank), met, breached and attainment, overall and per month; read for the latest instant a
    case event happened (or `as_of`), not the clock, so a replay gives the same figures."""
    try:
        return await service_level_queries.summary(
            models(request).service_levels, when_of(query)[0], query.by
        )
    except TooManyToRead as error:
        raise HTTPException(status_code=422, detail=str(error)) from None


@router.get("/service-levels/cases/{case_id}", responses=errors(404, 422))
async def one_case(
    case_id: UUID, request: Request, _: Reader, query: Annotated[WhenQuery, Query()]
) -> dict[str, Any]:
    found = await service_level_queries.one_case(
        models(request).service_levels, str(case_id), when_of(query)[0]
    )
    if found is None:
        raise HTTPException(
            status_code=404,
            detail=[{"loc": ["path", "case_id"], "msg": f"no case {case_id} by then",
                     "type": "not_found"}],
        )  # fmt: skip
    return found
