"""The write-request deadline: a request that has not started to append is cancelled and
answered 503; one that has started runs to its end (a merge or an erasure cut halfway would
leave a state no retry repairs)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from crm_kernel import deadline
from crm_kernel.deadline import RequestDeadline
from starlette.responses import JSONResponse


def scope(method: str = "POST") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": "/customers", "headers": []}


async def call(app: Any, method: str = "POST") -> tuple[int, dict[str, str], Any]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await RequestDeadline(app, seconds=0.05)(scope(method), receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, json.loads(body)


async def test_a_request_stuck_before_appending_is_cancelled_and_answered_503() -> None:
    cancelled = asyncio.Event()

    async def stuck(scope: Any, receive: Any, send: Any) -> None:
        try:
            await asyncio.sleep(10)  # the store does not answer
        except asyncio.CancelledError:
            cancelled.set()
            raise

    status, headers, body = await call(stuck)
    assert status == 503 and headers["retry-after"] == "5"
    assert body["detail"][0]["type"] == "deadline_exceeded"
    assert cancelled.is_set()


async def test_a_request_that_started_appending_runs_to_its_end() -> None:
    async def merge(scope: Any, receive: Any, send: Any) -> None:
        deadline.appending()  # the first of two appends has gone out
        await asyncio.sleep(0.2)  # past the deadline: the second append still happens
        await JSONResponse({"merged": True}, status_code=200)(scope, receive, send)

    status, _, body = await call(merge)
    assert (status, body) == (200, {"merged": True})


async def test_reads_are_left_to_the_store_clients_timeouts() -> None:
    async def slow_read(scope: Any, receive: Any, send: Any) -> None:
        await asyncio.sleep(0.2)
        await JSONResponse({"export": []})(scope, receive, send)

    assert (await call(slow_read, "GET"))[0] == 200


async def test_a_request_that_answered_before_its_deadline_is_not_answered_twice() -> None:
    # It answered (a refusal, nothing appended), then ran on past the deadline: a second,
    # 503 answer raised "Unexpected ASGI message 'http.response.start' sent".
    finished = asyncio.Event()

    async def refused_then_slow(scope: Any, receive: Any, send: Any) -> None:
        await JSONResponse({"detail": "conflict"}, status_code=409)(scope, receive, send)
        await asyncio.sleep(0.2)
        finished.set()

    status, _, body = await call(refused_then_slow)
    assert (status, body) == (409, {"detail": "conflict"})
    assert finished.is_set()
