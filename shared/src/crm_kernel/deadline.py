"""A deadline on every request of a write service.

A store that stops answering (frozen, partitioned) would hold a command for the client's
socket timeout and its retries, about 20 s, before anything says why. Past the deadline the
request's work is cancelled and the client hears a JSON 503 with `Retry-After` instead. The
commit, if the store got it before it froze, stands: a retried command is decided against it,
so it is never applied twice.
"""

from __future__ import annotations

import asyncio

import structlog
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger(__name__)
RETRY_AFTER_S = 5


class RequestDeadline:
    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self._app = app
        self._seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            async with asyncio.timeout(self._seconds):
                await self._app(scope, receive, sending)
        except TimeoutError:
            if started:  # too late to answer anything else: the client sees a cut response
                raise
            log.warning("request past its deadline: 503", path=scope["path"], s=self._seconds)
            response = JSONResponse(
                status_code=503,
                content={
                    "detail": [
                        {
                            "loc": ["store"],
                            "msg": f"no answer within {self._seconds:g} s (is the store "
                            "down?): retry later; a command that was recorded is never "
                            "applied twice",
                            "type": "deadline_exceeded",
                        }
                    ]
                },
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
            await response(scope, receive, send)
