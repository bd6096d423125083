"""Query API of the projections service: the 360 view, search, timeline, as-of, calendar."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from crm_contacts_contracts.events import CustomerType, Lifecycle
from crm_kernel.adapters.kafka_topics import CONTEXTS
from crm_kernel.auth import Principal
from crm_kernel.http import require_feed, require_scope
from crm_kernel.openapi import CALENDAR, errors, text
from crm_kernel.privacy import unseal_all
from crm_kernel.request_body import Line, OptionalLine
from crm_kernel.text import preview, refused_in_line
from crm_kernel.timeinput import IsoDateTime
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel

from crm_projections.adapters.partition_ownership import PartitionOwnership
from crm_projections.adapters.read_models import ReadModels
from crm_projections.application.write_signals import WriteSignals
from crm_projections.domain import customer_360
from crm_projections.domain.calendar import ics_feed
from crm_projections.domain.customer_360 import digits, public_view, terms
from crm_projections.domain.timeline import envelope_of, instant, public_entry

router = APIRouter()
Reader = Annotated[Principal, Depends(require_scope("projections:read"))]
# A feed token of the owner (header or `?access_token=`), or a reader's token in the header.
FeedReader = Annotated[Principal, Depends(require_feed("projections:read"))]
MAX_FEED = 1000
MAX_MERGE_HOPS = 16
# Read-your-writes re-reads between these intervals when no local write wakes it.
REREAD_MIN_S, REREAD_MAX_S = 0.1, 2.0
# How long a reader of a customer this instance projects waits for the projector's handoff
# before it reads the store: about the projector's lag under load.
HANDOFF_FIRST_S = 0.2
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


def ownership(request: Request) -> PartitionOwnership:
    found: PartitionOwnership = request.app.state.ownership
    return found


def signals(request: Request) -> WriteSignals:
    found: WriteSignals = request.app.state.signals
    return found


def models(request: Request) -> ReadModels:
    found: ReadModels = request.app.state.models
    return found


async def current_document(request: Request, asked: str) -> tuple[str, dict[str, Any] | None]:
    """The customer's document, or its survivor's if it was merged (a merged id keeps a
    tombstone that names where it went): the surviving id and its document."""
    customers = models(request).customers
    customer_id = asked
    for _ in range(MAX_MERGE_HOPS):
        document = await customers.get(customer_id)
        if document is None or not document.get("tombstone"):
            return customer_id, document
        customer_id = document["merged_into"]
    raise HTTPException(
        status_code=500, detail=f"{asked} was merged more than {MAX_MERGE_HOPS} times"
    )


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
    query: dict[str, Any] = {"tombstone": {"$ne": True}}
    if name is not None:
        words = terms(name)
        if not words:
            raise query_error("name", "give at least one letter or digit")
        query["search.name_terms"] = {"$all": words}
    if email is not None:
        query["search.emails"] = email.strip().lower()
    if phone is not None:
        number = digits(phone)
        if len(number) < 7:
            raise query_error(
                "phone", "give the number with its country code, e.g. +34 612 345 678"
            )
        query["search.phones"] = number
    for field, value in (
        ("customer_type", customer_type),
        ("owner", owner),
        ("tag", tag),
        ("lifecycle", lifecycle),
        ("registration", registration),
    ):
        if value is not None:
            query["search.tags" if field == "tag" else f"search.{field}"] = str(value)
    if cursor is not None:
        query["_id"] = {"$gt": decode_cursor(cursor, 1)[0]}
    found = await models(request).customers.find(query, sort=[("_id", 1)], limit=limit + 1)
    more = len(found) > limit
    page = found[:limit]
    return Page(
        items=[public_view(doc) for doc in page],
        next_cursor=encode_cursor(page[-1]["_id"]) if more else None,
    )


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
    deadline = time.monotonic() + wait_ms / 1000

    def caught_up(document: dict[str, Any] | None) -> bool:
        applied = (document or {}).get("applied", {})
        return all(applied.get(stream, 0) >= version for stream, version in wanted)

    survivor, pause = asked, REREAD_MIN_S
    handed: dict[str, Any] | None = None
    if wanted and ownership(request).projects(asked):
        handed = await written_here(request, asked, caught_up, deadline)
    while True:
        # Watch before reading, so a write in between is not missed.
        with signals(request).watching({asked, survivor}) as written:
            if handed is not None and not handed.get("tombstone") and caught_up(handed):
                document = handed  # as this instance's projector just stored it
                break
            found, document = await current_document(request, asked)
            if caught_up(document):
                survivor = found
                break
            if found != survivor:
                survivor = found  # merged: watch the survivor as well, then read again
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                message = f"not caught up with {', '.join(after)} after {wait_ms} ms: retry"
                raise HTTPException(
                    status_code=503,
                    detail=[{"loc": ["query", "after"], "msg": message, "type": "not_caught_up"}],
                    headers={"Retry-After": "1"},
                )
            if survivor == asked and ownership(request).projects(asked):
                # This instance's projector writes it and wakes us: no re-reads needed, bar a
                # late one in case a rebalance moves the partition away meanwhile.
                await written.wait(min(left, REREAD_MAX_S))
            else:
                # Another instance may write it (a merged customer's document is written by
                # the owners of every id merged into it): re-read, ever less often, so waiting
                # readers do not crowd out the projectors' own reads and writes.
                await written.wait(min(left, pause))
                pause = min(pause * 2, REREAD_MAX_S)
            handed = written.documents.get(survivor)
    if document is None:
        raise not_found(f"no customer {customer_id} in the 360 view")
    view = public_view(document)
    if survivor != asked:
        view["redirected_from"] = asked
    return view


async def written_here(
    request: Request,
    asked: str,
    caught_up: Callable[[dict[str, Any] | None], bool],
    deadline: float,
) -> dict[str, Any] | None:
    """For a customer this instance projects, read-your-writes from the projector's hands:
    the document as it last wrote it (from memory, or one store read when memory no longer
    holds it), then each document it writes, until one satisfies the reader. It never reads
    the store again while it waits: with a backlog, readers re-reading every few seconds took
    a quarter of the store's time from the projector, which then fell further behind.
    None when the reader must go the general way: the partition moved to another instance,
    the customer was merged, or the deadline passed."""
    watched = {asked}
    with signals(request).watching(watched) as written:
        document = signals(request).last_written(asked)
        if document is None:
            found, document = await current_document(request, asked)
            if found != asked:
                return None  # merged: its survivor may be written elsewhere
        while not caught_up(document):
            left = deadline - time.monotonic()
            if left <= 0 or not ownership(request).projects(asked):
                return None
            # Woken by each write of this customer; the cap only re-checks ownership.
            if await written.wait(min(left, REREAD_MAX_S)):
                document = written.documents.get(asked)
                signals(request).rewatch(written, watched)
        return None if document is None or document.get("tombstone") else document


async def history_ids(request: Request, asked: str) -> tuple[str, list[str]]:
    """The surviving id and every id whose history is now part of it."""
    survivor, document = await current_document(request, asked)
    merged = (document or {}).get("merged_from", [])
    return survivor, sorted({asked, survivor, *merged})


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
        raise query_error("context", f"unknown context {unknown[0]}; one of {', '.join(CONTEXTS)}")
    if since and until and until <= since:
        raise query_error("until", "until must be after since")
    _, ids = await history_ids(request, str(customer_id))
    entries = await models(request).timeline.page(
        ids,
        contexts=context or None,
        since=instant(since) if since else None,
        until=instant(until) if until else None,
        after=tuple(decode_cursor(cursor, 2)) if cursor else None,  # type: ignore[arg-type]
        limit=limit + 1,
    )
    if not entries and cursor is None and not await _known(request, ids):
        raise not_found(f"no customer {customer_id}")
    more = len(entries) > limit
    page = entries[:limit]
    readable = await unseal_all([envelope_of(e) for e in page], request.app.state.keys)
    return Page(
        items=[public_entry(e) for e in readable],
        next_cursor=encode_cursor(page[-1]["occurred_at"], page[-1]["_id"]) if more else None,
    )


async def _known(request: Request, ids: list[str]) -> bool:
    found = await models(request).customers.load_many(ids)
    return bool(found)


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
    _, ids = await history_ids(request, asked)
    entries = await known_as_of(request, ids, at, clock)
    readable = await unseal_all([envelope_of(e) for e in entries], request.app.state.keys)
    document = customer_360.as_of(asked, readable)
    if document is None:
        what = "was known of" if clock == "recorded" else "had happened to"
        raise not_found(f"nothing {what} {customer_id} at {at}")
    view = public_view(document)
    view["as_of"] = at.isoformat()
    view["as_of_time"] = clock
    if document["_id"] != asked:
        view["redirected_from"] = asked
    return view


async def known_as_of(
    request: Request, ids: list[str], at: datetime, clock: str
) -> list[dict[str, Any]]:
    """Timeline entries recorded by `at` (`recorded`), or that occurred by `at`, whenever
    recorded (`occurred`)."""
    timeline = models(request).timeline
    if clock == "recorded":
        return await timeline.known_by(ids, instant(at))
    until = instant(at)
    everything = await timeline.known_by(ids, instant(datetime.max.replace(tzinfo=UTC)))
    return [e for e in everything if e["occurred_at"] <= until]


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
    activities = await models(request).activities.find(
        {"owner": owner}, sort=[("starts_at", 1)], limit=MAX_FEED
    )
    return Response(ics_feed(owner, activities), media_type="text/calendar; charset=utf-8")
