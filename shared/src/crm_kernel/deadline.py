"""A deadline on every write request of a write service.

A store that stops answering (frozen, partitioned) would hold a command for the client's
socket timeout and its retries, about 20 s, before anything says why. So a request that has
not finished by its deadline, and has not started to append yet, is cancelled and answered
with a JSON 503 and `Retry-After`: nothing of it was recorded.

A request that has started to append is never cancelled: a command may append more than once
(a merge records on both customers, an erasure shreds keys after recording), and stopping it
halfway would leave a state no retry repairs. It runs to its end, bounded by the store
client's own timeouts (ADR 17).
"""

from __future__ import annotations

import asyncio
import contextlib
from contextvars import ContextVar
from dataclasses import dataclass

import structlog
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger(__name__)
RETRY_AFTER_S = 5
READS = frozenset({"GET", "HEAD", "OPTIONS"})  # bounded by the store client's timeouts


@dataclass
class _Request:
    appending: bool = False
    answering: bool = False  # the response has started


_current: ContextVar[_Request | None] = ContextVar("crm_request_deadline", default=None)


def appending() -> None:
    """Called by the event store before it writes a commit: from here on, the request that
    asked for it runs to its end."""
    request = _current.get()
    if request is not None:
        request.appending = True


class RequestDeadline:
    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self._app = app
        self._seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READS:
            await self._app(scope, receive, send)
            return
        state = _Request()

        async def sending(message: Message) -> None:
            state.answering = state.answering or message["type"] == "http.response.start"
            await send(message)

        token = _current.set(state)
        try:
            work = asyncio.ensure_future(self._app(scope, receive, sending))
        finally:
            _current.reset(token)
        done, _ = await asyncio.wait({work}, timeout=self._seconds)
        # Finished, appending, or already answering (a second answer would break the
        # protocol: the caller has its status already): it runs to its end.
        if done or state.appending or state.answering:
            await work
            return
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await work
        log.warning("request past its deadline: 503", path=scope["path"], s=self._seconds)
        await _unavailable(self._seconds)(scope, receive, send)


def _unavailable(seconds: float) -> JSONResponse:
    return JSONResponse(
        status_code=503,
        content={
            "detail": [
                {
                    "loc": ["store"],
                    "msg": f"no answer within {seconds:g} s (is the store down?): nothing "
                    "was recorded; retry later",
                    "type": "deadline_exceeded",
                }
            ]
        },
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )
