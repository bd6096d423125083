"""What every service's HTTP API shares: auth, correlation ids, errors, health, metrics."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any, Self
from uuid import UUID, uuid4

import structlog
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    NetworkTimeout,
    ServerSelectionTimeoutError,
)
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_kernel.application import CommandResult
from crm_kernel.auth import InvalidTokenError, Principal, TokenVerifier, check_secret
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import DomainError
from crm_kernel.openapi import PROMETHEUS_TEXT, READINESS, text, uniform_errors
from crm_kernel.request_guard import RequestGuard

log = structlog.get_logger(__name__)

CORRELATION_HEADER = "X-Correlation-ID"
# A store that does not answer: the request changed nothing it can vouch for, retry later.
STORE_UNAVAILABLE = (ConnectionFailure, ServerSelectionTimeoutError, NetworkTimeout, AutoReconnect)
RETRY_AFTER_S = 5


class CommandAccepted(BaseModel):
    """What a write returns: where its events landed (pass `position` to read your writes)."""

    stream_id: str
    version: int
    position: int
    event_ids: list[UUID]

    @classmethod
    def of(cls, result: CommandResult, **extra: Any) -> Self:
        """The answer for `result`; a subclass adds its own fields (`extra`)."""
        return cls(
            stream_id=result.stream_id,
            version=result.version,
            position=result.position,
            event_ids=result.event_ids,
            **extra,
        )


ReadinessCheck = Callable[[], Awaitable[None]]

_bearer = HTTPBearer(auto_error=False)


class AuthError(Exception):
    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def authorise(tokens: TokenVerifier, token: str | None, scope: str) -> Principal:
    """The token's principal; AuthError 401 without a valid token, 403 without `scope`."""
    if not token:
        raise AuthError(401, "missing bearer token: send 'Authorization: Bearer <token>'")
    try:
        principal = tokens.verify(token)
    except InvalidTokenError as error:
        raise AuthError(401, f"invalid token: {error}") from None
    if scope not in principal.scopes:
        raise AuthError(403, f"token lacks the scope {scope}")
    return principal


def require_scope(scope: str, *, query_token: bool = False) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency: 401 without a valid token, 403 without `scope`. With
    `query_token`, `?access_token=` is accepted too (calendar apps cannot send headers)."""

    async def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        token = credentials.credentials if credentials else None
        if token is None and query_token:
            token = request.query_params.get("access_token")
        return authorise(request.app.state.tokens, token, scope)

    return check


def command_metadata(request: Request, principal: Principal) -> Metadata:
    """The actor and correlation id that every event of this request records."""
    return Metadata(actor=principal.subject, correlation_id=request.state.correlation_id)


# A correlation id is stored in every event of its request, forever and in clear (store, Kafka
# header, timeline): only a short token is taken, anything else is replaced by a fresh one. A
# 1.2 MB header once made a commit that could never be published, and jammed the relay.
CORRELATION_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def correlation_id_from(header: str | None) -> str:
    """The caller's correlation id if it is a short token, else a new one (never echoed)."""
    return header if header is not None and CORRELATION_ID.match(header) else str(uuid4())


# On every answer: most carry personal data (never cached), none is to be sniffed as another
# type or framed by another site. The console will set its own Content-Security-Policy.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-store"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
)


class CorrelationMiddleware:
    """Correlation id, security headers and one log line per request. Plain ASGI: Starlette's
    BaseHTTPMiddleware costs a task and a memory stream per request, which shows on the hot
    path. (An unhandled error's 500 is sent by Starlette outside it, without them.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = correlation_id_from(Headers(scope=scope).get(CORRELATION_HEADER))
        scope.setdefault("state", {})["correlation_id"] = correlation_id  # request.state
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers.append(CORRELATION_HEADER, correlation_id)
                for name, value in SECURITY_HEADERS:
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    ms=round((time.perf_counter() - started) * 1000, 1),
                )


def _error(status_code: int, loc: list[str], message: str, kind: str) -> JSONResponse:
    return JSONResponse(
        status_code=status_code, content={"detail": [{"loc": loc, "msg": message, "type": kind}]}
    )


def create_app(
    *,
    title: str,
    auth_secret: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    readiness: list[ReadinessCheck],
    readiness_timeout_s: float = 2.0,
) -> FastAPI:
    check_secret(auth_secret)
    app = FastAPI(title=title, lifespan=lifespan)
    app.state.tokens = TokenVerifier(auth_secret)
    app.add_middleware(RequestGuard)  # bounded headers and body, before anything is read
    app.add_middleware(CorrelationMiddleware)

    @app.exception_handler(AuthError)
    async def auth_error(_: Request, error: AuthError) -> JSONResponse:
        response = _error(error.status_code, ["header", "authorization"], error.message, "auth")
        if error.status_code == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> JSONResponse:
        loc = ["body", error.field] if error.field else ["body"]
        return _error(error.status_code, loc, error.message, type(error).__name__)

    async def store_unavailable(_: Request, error: Exception) -> JSONResponse:
        log.warning("the store does not answer: 503", error=type(error).__name__)
        response = _error(
            503,
            ["store"],
            "the database does not answer right now: retry later",
            "store_unavailable",
        )
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response

    for kind in STORE_UNAVAILABLE:
        app.add_exception_handler(kind, store_unavailable)

    @app.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        return {"status": "live"}

    @app.get("/health/ready", tags=["health"], responses=READINESS)
    async def ready() -> JSONResponse:
        async def failure(check: ReadinessCheck) -> str | None:
            try:
                await asyncio.wait_for(check(), timeout=readiness_timeout_s)
            except TimeoutError:
                return f"no answer within {readiness_timeout_s:g}s"
            except Exception as error:
                return str(error) or type(error).__name__
            return None

        # All at once, each bounded: a store or broker that hangs makes this 503, not slow.
        results = await asyncio.gather(*(failure(check) for check in readiness))
        failures: dict[str, Any] = {
            getattr(check, "__name__", "check"): result
            for check, result in zip(readiness, results, strict=True)
            if result is not None
        }
        if failures:
            return JSONResponse(
                status_code=503, content={"status": "not ready", "failed": failures}
            )
        return JSONResponse(content={"status": "ready"})

    @app.get(
        "/metrics",
        tags=["health"],
        response_class=Response,
        responses=text(PROMETHEUS_TEXT, "Prometheus text exposition"),
    )
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    uniform_errors(app)
    return app
