"""Query API of the sales context's read models: opportunities, the pipeline by owner, team,
stage and close month, the forecast of a period and the win rate, now or as they stood at a
time (`as_of`, by what was recorded by then or what had happened by then: `basis`); and leads
with their scores."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from crm_kernel.openapi import errors
from crm_kernel.timeinput import IsoDate, IsoDateTime
from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from crm_projections.application import lead_queries, pipeline_queries
from crm_projections.application.pipeline_queries import DealFilter, TooManyToRead, When
from crm_projections.domain import pipeline
from crm_projections.domain.opportunities import Deal
from crm_projections.domain.wire_values import instant
from crm_projections.entrypoints.http import (
    MAX_CURSOR,
    Page,
    Reader,
    decode_cursor,
    encode_cursor,
    keys,
    models,
    query_error,
)

router = APIRouter(tags=["pipeline"])
NameText = Annotated[str, Field(min_length=1, max_length=100)]
StageText = Annotated[str, Field(min_length=1, max_length=60)]
AsOf = Annotated[
    IsoDateTime | None,
    Query(description="Read the deals as they stood then (e.g. the end of last quarter)"),
]
BasisQuery = Annotated[
    Literal["recorded", "occurred"],
    Query(
        description="With as_of: `recorded` (default) counts what we knew by then; "
        "`occurred`, what had happened by then, recorded later included"
    ),
]
MAX_PERIOD_DAYS = 5 * 366


def _when(as_of: datetime | None, basis: Literal["recorded", "occurred"]) -> When:
    if as_of is None:
        return When(at=instant(datetime.now(UTC)))
    return When(at=instant(as_of), as_of=True, basis=basis)


async def _deals(request: Request, which: DealFilter, when: When) -> list[dict[str, Any]]:
    try:
        return await pipeline_queries.deals(models(request).opportunities, which, when)
    except TooManyToRead as error:
        raise HTTPException(status_code=422, detail=str(error)) from None


def _period(start: date, end: date) -> pipeline.Period:
    if end <= start:
        raise query_error("end", "must be after start (the end is excluded)")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise query_error("end", f"a period is at most {MAX_PERIOD_DAYS} days")
    return pipeline.Period(start=start, end=end)


class DealQuery(BaseModel):
    """Which deals, as of when: every filter matches the deal as it stood at that time."""

    model_config = ConfigDict(extra="forbid")

    customer_id: UUID | None = None
    owner: NameText | None = None
    team: NameText | None = None
    stage: StageText | None = None
    status: Literal["open", "won", "lost"] | None = None
    as_of: IsoDateTime | None = Field(
        default=None, description="Read the deals as they stood then (e.g. a quarter's end)"
    )
    basis: Literal["recorded", "occurred"] = Field(
        default="recorded",
        description="With as_of: `recorded` counts what we knew by then; `occurred`, what "
        "had happened by then, recorded later included",
    )
    limit: int = Field(default=50, ge=1, le=200, description="Page size")
    cursor: str | None = Field(default=None, max_length=MAX_CURSOR)


@router.get("/opportunities", response_model=Page, responses=errors(422))
async def list_opportunities(
    request: Request, _: Reader, query: Annotated[DealQuery, Query()]
) -> Page:
    """Deals by id, their names readable."""
    after = decode_cursor(query.cursor, 1)[0] if query.cursor else ""
    which = DealFilter(
        customer_id=None if query.customer_id is None else str(query.customer_id),
        owner=query.owner,
        team=query.team,
        stage=query.stage,
        status=query.status,
    )
    when = _when(query.as_of, query.basis)
    found = [d for d in await _deals(request, which, when) if d["opportunity_id"] > after]
    page = found[: query.limit]
    items = await pipeline_queries.readable(page, keys(request))
    more = len(found) > query.limit
    return Page(
        items=items, next_cursor=encode_cursor(page[-1]["opportunity_id"]) if more else None
    )


@router.get("/opportunities/{opportunity_id}", responses=errors(404, 422))
async def get_opportunity(
    opportunity_id: UUID,
    request: Request,
    _: Reader,
    as_of: AsOf = None,
    basis: BasisQuery = "recorded",
) -> dict[str, Any]:
    """One deal, with the stages it went through and every change with both its times."""
    found = await pipeline_queries.deal(
        models(request).opportunities, keys(request), str(opportunity_id), _when(as_of, basis)
    )
    if found is None:
        raise HTTPException(
            status_code=404,
            detail=[
                {
                    "loc": ["path", "opportunity_id"],
                    "msg": f"no opportunity {opportunity_id}" + (" by then" if as_of else ""),
                    "type": "not_found",
                }
            ],
        )
    return found


class PipelineQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    owner: NameText | None = None
    team: NameText | None = None
    stage: StageText | None = None
    close_from: IsoDate | None = Field(default=None, description="Expected close on or after")
    close_to: IsoDate | None = Field(default=None, description="Expected close before")
    as_of: IsoDateTime | None = None
    basis: Literal["recorded", "occurred"] = "recorded"
    limit: int = Field(default=100, ge=1, le=200, description="Rows a page")
    cursor: str | None = Field(default=None, max_length=MAX_CURSOR)


@router.get("/pipeline", responses=errors(422))
async def pipeline_report(
    request: Request, _: Reader, query: Annotated[PipelineQuery, Query()]
) -> dict[str, Any]:
    """Open deals by owner, team, stage, expected-close month and currency: count, amount,
    weighted amount (rounded per deal, then summed) and average days in their stage; the
    totals per currency."""
    which = DealFilter(
        owner=query.owner,
        team=query.team,
        stage=query.stage,
        close_from=None if query.close_from is None else query.close_from.isoformat(),
        close_to=None if query.close_to is None else query.close_to.isoformat(),
    )
    when = _when(query.as_of, query.basis)
    found = await _deals(request, which, when)
    rows = pipeline.pipeline_rows(found, when.at)
    start = int(decode_cursor(query.cursor, 1)[0]) if query.cursor else 0
    page = rows[start : start + query.limit]
    more = start + query.limit < len(rows)
    return {
        "as_of": when.at if when.as_of else None,
        "rows": page,
        "next_cursor": encode_cursor(str(start + query.limit)) if more else None,
        "totals": pipeline.pipeline_totals(found),
    }


class PeriodQuery(BaseModel):
    """A period [start, end) of whose deals, as of when."""

    model_config = ConfigDict(extra="forbid")

    start: IsoDate = Field(description="First day of the period")
    end: IsoDate = Field(description="Day after the period (excluded)")
    owner: NameText | None = None
    team: NameText | None = None
    as_of: IsoDateTime | None = None
    basis: Literal["recorded", "occurred"] = "recorded"


async def _in_period(request: Request, query: PeriodQuery) -> tuple[list[Deal], pipeline.Period]:
    period = _period(query.start, query.end)
    which = DealFilter(owner=query.owner, team=query.team)
    return await _deals(request, which, _when(query.as_of, query.basis)), period


@router.get("/pipeline/forecast", responses=errors(422))
async def forecast(
    request: Request, _: Reader, query: Annotated[PeriodQuery, Query()]
) -> dict[str, Any]:
    """Per currency: booked (won in the period) + weighted open pipeline expected to close in
    it, with sqrt(sum amount^2 p (1-p)) as the band; in total, by owner and by team."""
    return pipeline.forecast(*await _in_period(request, query))


@router.get("/pipeline/win-rate", responses=errors(422))
async def win_rate(
    request: Request, _: Reader, query: Annotated[PeriodQuery, Query()]
) -> dict[str, Any]:
    """Won / (won + lost) among deals closed in the period, the average days from open to
    won; by owner, team and source, and the lost ones by reason."""
    return pipeline.win_rate(*await _in_period(request, query))


class LeadQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    owner: NameText | None = None
    status: (
        Literal["new", "assigned", "working", "qualified", "disqualified", "converted"] | None
    ) = None
    limit: int = Field(default=50, ge=1, le=200, description="Page size")
    cursor: str | None = Field(default=None, max_length=MAX_CURSOR)


@router.get("/leads", tags=["leads"], response_model=Page, responses=errors(422))
async def list_leads(request: Request, _: Reader, query: Annotated[LeadQuery, Query()]) -> Page:
    """Leads by id with their scores: the rules' (with each contribution), the learned
    probability (with each variable's likelihood ratio) and the rep's override."""
    after = decode_cursor(query.cursor, 1)[0] if query.cursor else ""
    every = await _leads(request)
    wanted = [
        lead
        for lead in every
        if lead["lead_id"] > after
        and (query.owner is None or lead["owner"] == query.owner)
        and (query.status is None or lead["status"] == query.status)
    ]
    page = wanted[: query.limit]
    at = instant(datetime.now(UTC))
    items = await lead_queries.scored(page, every, models(request).timeline, at)
    more = len(wanted) > query.limit
    return Page(items=items, next_cursor=encode_cursor(page[-1]["lead_id"]) if more else None)


@router.get("/leads/{lead_id}", tags=["leads"], responses=errors(404, 422))
async def get_lead(lead_id: UUID, request: Request, _: Reader) -> dict[str, Any]:
    every = await _leads(request)
    found = [lead for lead in every if lead["lead_id"] == str(lead_id)]
    if not found:
        raise HTTPException(
            status_code=404,
            detail=[{"loc": ["path", "lead_id"], "msg": f"no lead {lead_id}", "type": "not_found"}],
        )
    at = instant(datetime.now(UTC))
    [scored] = await lead_queries.scored(found, every, models(request).timeline, at)
    return scored


async def _leads(request: Request) -> list[dict[str, Any]]:
    try:
        return await lead_queries.every_lead(models(request).leads)
    except TooManyToRead as error:
        raise HTTPException(status_code=422, detail=str(error)) from None
