"""Query API of the receivables read model: a customer's account on a day (open, overdue,
ageing, credit, late payments, each invoice and instalment), every account, and the totals per
currency and ageing bucket; now or as they stood at a time (`as_of`, `basis`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any
from uuid import UUID

from crm_kernel.openapi import errors
from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import Field

from crm_projections.application import customer_queries, receivable_queries
from crm_projections.application.pipeline_queries import TooManyToRead
from crm_projections.entrypoints.http import (
    MAX_CURSOR,
    Page,
    Reader,
    decode_cursor,
    encode_cursor,
    merges_followed,
    models,
    not_found,
)
from crm_projections.entrypoints.quotes import WhenQuery, when_of

router = APIRouter(tags=["receivables"])


class AccountsQuery(WhenQuery):
    overdue: bool | None = Field(
        default=None, description="true: only accounts with something overdue on the day"
    )
    limit: int = Field(default=50, ge=1, le=200, description="Page size")
    cursor: str | None = Field(default=None, max_length=MAX_CURSOR)


async def _accounts(request: Request, query: WhenQuery) -> list[dict[str, Any]]:
    when, day = when_of(query)
    try:
        return await receivable_queries.every_account(models(request).receivables, when, day)
    except TooManyToRead as error:
        raise HTTPException(status_code=422, detail=str(error)) from None


@router.get("/receivables", response_model=Page, responses=errors(422))
async def list_accounts(
    request: Request, _: Reader, query: Annotated[AccountsQuery, Query()]
) -> Page:
    """Accounts by customer id, each with its open, overdue and aging amounts on the day."""
    after = decode_cursor(query.cursor, 1)[0] if query.cursor else ""
    found = [
        a
        for a in await _accounts(request, query)
        if a["customer_id"] > after
        and (query.overdue is None or bool(a["overdue"]) == query.overdue)
    ]
    page = found[: query.limit]
    more = len(found) > query.limit
    return Page(items=page, next_cursor=encode_cursor(page[-1]["customer_id"]) if more else None)


@router.get("/receivables/summary", responses=errors(422))
async def receivables_summary(
    request: Request, _: Reader, query: Annotated[WhenQuery, Query()]
) -> dict[str, Any]:
    """On the day: open and overdue amounts per currency, aged in buckets (current, 1-30,
    31-60, 61-90, 91+ days past due), the customers' credit, how many accounts are overdue."""
    day = when_of(query)[1]
    return asdict(receivable_queries.totals(await _accounts(request, query), day))


@router.get("/receivables/{customer_id}", responses=errors(404, 422))
async def get_account(
    customer_id: UUID, request: Request, _: Reader, query: Annotated[WhenQuery, Query()]
) -> dict[str, Any]:
    """The customer's account (with those merged into it), each invoice with its payment
    state and each instalment with what is open and how many days past due."""
    read = models(request)
    with merges_followed():
        survivor, ids = await customer_queries.history_ids(read.customers, str(customer_id))
    when, day = when_of(query)
    found = await receivable_queries.account(read.receivables, ids, when, day)
    if found is None:
        raise not_found(f"no account for customer {customer_id} by then")
    return {"customer_id": survivor, **asdict(found)}
