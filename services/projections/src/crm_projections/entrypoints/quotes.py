"""Query API of the quotes read model: quotes now or as they stood at a time (`as_of`,
`basis`), filtered, each with its status on that day; and the day's summary (open and
expiring quotes with their nets, the acceptance rate)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from crm_kernel.openapi import errors
from crm_kernel.timeinput import IsoDateTime
from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from crm_projections.application import quote_queries
from crm_projections.application.pipeline_queries import TooManyToRead, When
from crm_projections.application.quote_queries import QuoteFilter
from crm_projections.domain import quotes
from crm_projections.domain.quotes import Quote
from crm_projections.domain.wire_values import instant
from crm_projections.entrypoints.http import (
    MAX_CURSOR,
    Page,
    Reader,
    decode_cursor,
    encode_cursor,
    keys,
    models,
)

router = APIRouter(tags=["quotes"])


class WhenQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: IsoDateTime | None = Field(
        default=None, description="Read the quotes as they stood then; expiry on that day"
    )
    basis: Literal["recorded", "occurred"] = Field(
        default="recorded",
        description="With as_of: `recorded` counts what we knew by then; `occurred`, what "
        "had happened by then, recorded later included",
    )


class QuoteQuery(WhenQuery):
    customer_id: UUID | None = None
    opportunity_id: UUID | None = None
    status: Literal["draft", "sent", "accepted", "rejected", "expired"] | None = Field(
        default=None, description="As on the day read for (`sent`: open, not expired)"
    )
    limit: int = Field(default=50, ge=1, le=200, description="Page size")
    cursor: str | None = Field(default=None, max_length=MAX_CURSOR)


def when_of(query: WhenQuery) -> tuple[When, date]:
    """The time the query reads for, and its day (today when not as of a time)."""
    at = query.as_of or datetime.now(UTC)
    when = When(at=instant(at), as_of=query.as_of is not None, basis=query.basis)
    return when, at.astimezone(UTC).date()


async def _quotes(request: Request, query: WhenQuery) -> list[Quote]:
    when, day = when_of(query)
    try:
        return await quote_queries.every_quote(models(request).quotes, when, day)
    except TooManyToRead as error:
        raise HTTPException(status_code=422, detail=str(error)) from None


@router.get("/quotes", response_model=Page, responses=errors(422))
async def list_quotes(request: Request, _: Reader, query: Annotated[QuoteQuery, Query()]) -> Page:
    """Quotes by id, their titles readable."""
    after = decode_cursor(query.cursor, 1)[0] if query.cursor else ""
    which = QuoteFilter(
        customer_id=None if query.customer_id is None else str(query.customer_id),
        opportunity_id=None if query.opportunity_id is None else str(query.opportunity_id),
        status=query.status,
    )
    found = [q for q in await _quotes(request, query) if q["quote_id"] > after and which.holds(q)]
    page = found[: query.limit]
    items = await quote_queries.readable(page, keys(request))
    more = len(found) > query.limit
    return Page(items=items, next_cursor=encode_cursor(page[-1]["quote_id"]) if more else None)


@router.get("/quotes/summary", responses=errors(422))
async def quotes_summary(
    request: Request, _: Reader, query: Annotated[WhenQuery, Query()]
) -> dict[str, Any]:
    """On the day: drafts; open quotes and their nets per currency; those valid for at most 7
    more days; accepted, rejected and expired; the acceptance rate, accepted over decided."""
    day = when_of(query)[1]
    found = await _quotes(request, query)
    return {"day": day.isoformat(), **asdict(quotes.summary(found, day))}


@router.get("/quotes/{quote_id}", responses=errors(404, 422))
async def get_quote(
    quote_id: UUID, request: Request, _: Reader, query: Annotated[WhenQuery, Query()]
) -> dict[str, Any]:
    found = [q for q in await _quotes(request, query) if q["quote_id"] == str(quote_id)]
    if not found:
        raise HTTPException(
            status_code=404,
            detail=[
                {"loc": ["path", "quote_id"], "msg": f"no quote {quote_id}", "type": "not_found"}
            ],
        )
    [quote] = await quote_queries.readable(found, keys(request))
    return quote
