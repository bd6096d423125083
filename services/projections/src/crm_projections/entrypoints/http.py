"""Query API of the projections service: the 360 view, search, timeline, as-of, calendar.

Routes translate: query parameters into the application's queries, its answers and errors
into HTTP.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from crm_contacts_contracts.events import CustomerType, Lifecycle
from crm_kernel.auth import Principal
from crm_kernel.contexts import CONTEXTS
from crm_kernel.http import require_feed, require_scope
from crm_kernel.openapi import CALENDAR, errors, text
from crm_kernel.ports.keystore import KeyStore
from crm_kernel.request_body import Line, OptionalLine
from crm_kernel.text import preview, refused_in_line
from crm_kernel.timeinput import IsoDateTime
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel

from crm_projections.adapters.read_models import ReadModels
from crm_projections.adapters.timeline_entries import public_entry
from crm_projections.application import customer_queries, quote_queries, receivable_queries
from crm_projections.application.calendar import owners_activities
from crm_projections.application.customer_queries import MergedTooOften
from crm_projections.application.pipeline_queries import When
from crm_projections.application.read_your_writes import NotCaughtUp, ReadYourWrites
from crm_projections.domain.customer_360 import digits, public_view, terms
from crm_projections.domain.customer_360.search import CustomerCriteria
from crm_projections.domain.wire_values import instant
from crm_projections.entrypoints.calendar_feed import ics_feed

router = APIRouter()
Document = dict[str, Any]
Reader = Annotated[Principal, Depends(require_scope("projections:read"))]
# A feed token of the owner (header or `?access_token=`), or a reader's token in the header.
FeedReader = Annotated[Principal, Depends(require_feed("projections:read"))]
MAX_FEED = 1000
AFTER = re.compile(r"^(?P<stream>[A-Za-z0-9][A-Za-z0-9_-]*)@(?P<version>[1-9]\d*)$")
Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
# The cursors this API gives out are a few dozen characters: a longer one is no cursor of
# ours (one nested 20,000 deep made the JSON decoder recurse until it failed: a 500).
MAX_CURSOR = 512
Cursor = Annotated[
    str | None, Query(max_length=MAX_CURSOR, description="next_cursor of the previous page")
]


class Page(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None


def query_error(field: str, message: str) -> HTTPException:
    return HTTPException(
        status_code=422, detail=[{"loc": ["query", field], "msg": message, "type": "value_error"}]
    )


def not_found(message: str) -> HTTPException:
    return HTTPException(
        status_code=404,
        detail=[{"loc": ["path", "customer_id"], "msg": message, "type": "not_found"}],
    )


@contextmanager
def merges_followed() -> Iterator[None]:
    """A chain of merges too long to follow is a 500 that names the customer."""
    try:
        yield
    except MergedTooOften as error:
        raise HTTPException(status_code=500, detail=str(error)) from None


def encode_cursor(*key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def decode_cursor(cursor: str, size: int) -> list[str]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, RecursionError):
        key = None
    # Its keys go into a store query: a lone surrogate there is a 500 when the query is encoded.
    if not (
        isinstance(key, list)
        and len(key) == size
        and all(isinstance(k, str) and refused_in_line(k) is None for k in key)
    ):
        raise query_error("cursor", "not a cursor this API gave out: pass next_cursor as it came")
    return key


def models(request: Request) -> ReadModels:
    found: ReadModels = request.app.state.models
    return found


def keys(request: Request) -> KeyStore:
    found: KeyStore = request.app.state.keys
    return found


def read_your_writes(request: Request) -> ReadYourWrites:
    found: ReadYourWrites = request.app.state.read_your_writes
    return found


@router.get("/customers", tags=["customers"], response_model=Page, responses=errors(422))
async def search_customers(
    request: Request,
    _: Reader,
    name: Annotated[
        OptionalLine, Query(max_length=200, description="Whole words, any order")
    ] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
    phone: Annotated[
        str | None, Query(max_length=40, description="Any spelling of the number")
    ] = None,
    customer_type: CustomerType | None = None,
    owner: Annotated[OptionalLine, Query(max_length=100)] = None,
    tag: Annotated[OptionalLine, Query(max_length=40)] = None,
    lifecycle: Lifecycle | None = None,
    registration: Annotated[
        Literal["pending", "registered"] | None,
        Query(description="`pending`: named by another context, not registered yet"),
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page:
    """Search and list customers, ordered by id; page with `cursor` (stable under writes)."""
    words = terms(name) if name is not None else None
    if words == []:
        raise query_error("name", "give at least one letter or digit")
    number = digits(phone) if phone is not None else None
    if number is not None and len(number) < 7:
        raise query_error("phone", "give the number with its country code, e.g. +34 612 345 678")
    criteria = CustomerCriteria(
        limit=limit,
        name_terms=words,
        email=email.strip().lower() if email is not None else None,
        phone=number,
        customer_type=_text(customer_type),
        owner=owner,
        tag=tag,
        lifecycle=_text(lifecycle),
        registration=registration,
        after_id=decode_cursor(cursor, 1)[0] if cursor is not None else None,
    )
    found = await customer_queries.search(models(request).customer_search, criteria)
    return Page(
        items=found.views,
        next_cursor=encode_cursor(found.last_id) if found.last_id is not None else None,
    )


def _text(value: str | None) -> str | None:
    return str(value) if value is not None else None


@router.get("/customers/{customer_id}", tags=["customers"], responses=errors(404, 422, 503))
async def customer_view(
    customer_id: UUID,
    request: Request,
    response: Response,
    _: Reader,
    after: Annotated[
        list[str],
        Query(
            description="Read your writes: `<stream_id>@<version>` from a command's answer; "
            "repeat for several"
        ),
    ] = [],  # noqa: B006 (FastAPI copies defaults)
    wait_ms: Annotated[
        int, Query(ge=0, le=10_000, description="How long to wait for `after`")
    ] = 2000,
) -> dict[str, Any]:
    """The 360-degree view of one customer. A merged id answers with its survivor's view."""
    wanted = []
    for item in after:
        match = AFTER.match(item)
        if match is None:
            shown = preview(item)
            raise query_error("after", f"{shown!r} is not <stream_id>@<version>, e.g. order-42@1")
        wanted.append((match["stream"], int(match["version"])))
    asked = str(customer_id)
    try:
        with merges_followed():
            survivor, document = await read_your_writes(request).document(
                asked, wanted, wait_ms / 1000
            )
    except NotCaughtUp:
        message = f"not caught up with {', '.join(after)} after {wait_ms} ms: retry"
        raise HTTPException(
            status_code=503,
            detail=[{"loc": ["query", "after"], "msg": message, "type": "not_caught_up"}],
            headers={"Retry-After": "1"},
        ) from None
    if document is None:
        raise not_found(f"no customer {customer_id} in the 360 view")
    view = public_view(document)
    now = datetime.now(UTC)
    await _with_account(request, view, document, When(at=instant(now)), now.date())
    if survivor != asked:
        view["redirected_from"] = asked
    return view


async def _with_account(
    request: Request, view: dict[str, Any], document: Document, when: When, day: date
) -> None:
    """The view's sales section with the customer's account and open quotes on `day` (what is
    overdue or expired depends on the day read for, so it is worked out when read, from the
    receivables and quotes read models), over the customer and everyone merged into it."""
    ids = sorted({document["_id"], *document.get("merged_from", [])})
    read, sales = models(request), view["sales"]
    found = None
    if sales.get("has_account"):
        found = await receivable_queries.account(read.receivables, ids, when, day)
    sales["account"] = None if found is None else receivable_queries.brief(found)
    sales["open_quotes"] = (
        await quote_queries.open_quotes(read.quotes, ids, when, day)
        if sales.get("has_quotes")
        else {"count": 0, "net": {}}
    )


@router.get(
    "/customers/{customer_id}/timeline",
    tags=["customers"],
    response_model=Page,
    responses=errors(404, 422),
)
async def timeline(
    customer_id: UUID,
    request: Request,
    _: Reader,
    context: Annotated[list[str], Query(description="Repeat to pick several")] = [],  # noqa: B006
    since: IsoDateTime | None = None,
    until: IsoDateTime | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page:
    """Every event about the customer (and customers merged into it), oldest first, with who
    did it and when. Personal fields of an erased customer read as erased."""
    unknown = sorted(set(context) - set(CONTEXTS))
    if unknown:
        raise query_error(
            "context", f"unknown context {preview(unknown[0])}; one of {', '.join(CONTEXTS)}"
        )
    if since and until and until <= since:
        raise query_error("until", "until must be after since")
    after = decode_cursor(cursor, 2) if cursor else None
    read = models(request)
    with merges_followed():
        found = await customer_queries.timeline(
            read.customers,
            read.timeline,
            keys(request),
            str(customer_id),
            customer_queries.TimelineQuery(
                limit=limit,
                contexts=context or None,
                since=since,
                until=until,
                after=(after[0], after[1]) if after else None,
            ),
        )
    if not found.known:
        raise not_found(f"no customer {customer_id}")
    last = found.entries[-1][1] if found.more else None
    return Page(
        items=[public_entry(envelope) for envelope, _ in found.entries],
        next_cursor=encode_cursor(*last) if last is not None else None,
    )


@router.get("/customers/{customer_id}/as-of", tags=["customers"], responses=errors(404, 422))
async def as_of(
    customer_id: UUID,
    request: Request,
    _: Reader,
    at: Annotated[IsoDateTime, Query(description="ISO 8601 with a time zone")],
    clock: Annotated[
        Literal["recorded", "occurred"],
        Query(
            alias="time",
            description="`recorded`: what we knew at `at` (events recorded by then); "
            "`occurred`: how things stood at the business date `at`, as we know it now "
            "(events that happened by then, including those recorded later)",
        ),
    ] = "recorded",
) -> dict[str, Any]:
    """The 360 view as of `at`, folded by the same code as the live view: as we knew it then
    (`time=recorded`), or as things stood then by all we know now (`time=occurred`)."""
    asked = str(customer_id)
    read = models(request)
    with merges_followed():
        document = await customer_queries.as_of(
            read.customers, read.timeline, keys(request), asked, at, clock
        )
    if document is None:
        what = "was known of" if clock == "recorded" else "had happened to"
        raise not_found(f"nothing {what} {customer_id} at {at}")
    view = public_view(document)
    when = When(at=instant(at), as_of=True, basis=clock)
    await _with_account(request, view, document, when, at.astimezone(UTC).date())
    view["as_of"] = at.isoformat()
    view["as_of_time"] = clock
    if document["_id"] != asked:
        view["redirected_from"] = asked
    return view


@router.get(
    "/owners/{owner}/calendar.ics",
    tags=["activities"],
    response_class=Response,
    responses={**text(CALENDAR, "The owner's activities as iCalendar"), **errors(422)},
)
async def calendar(
    owner: Annotated[Line, Path(max_length=100)], request: Request, _: FeedReader
) -> Response:
    """The owner's calls, meetings and follow-ups as an iCalendar feed. Calendar apps that
    cannot send headers pass a feed token of this owner as `?access_token=` (`crm token issue
    --feed-owner <owner>`); no other token is taken from the URL."""
    activities = await owners_activities(
        models(request).activity_feed, keys(request), owner, MAX_FEED
    )
    return Response(ics_feed(owner, activities), media_type="text/calendar; charset=utf-8")
