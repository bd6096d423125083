"""What every service's HTTP API shares: auth, correlation ids, errors, health, metrics."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any, Self, TypeVar
from uuid import UUID, uuid4

import structlog
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    NetworkTimeout,
    ServerSelectionTimeoutError,
)
from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_kernel.application import CommandHandler, CommandResult
from crm_kernel.auth import FEED_SCOPE, InvalidTokenError, Principal, TokenVerifier
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import DomainError
from crm_kernel.openapi import PROMETHEUS_TEXT, READINESS, text, uniform_errors
from crm_kernel.request_guard import RequestGuard
from crm_kernel.tokens import TokenAuth

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


Answer = TypeVar("Answer", bound=CommandAccepted)
S = TypeVar("S")
C = TypeVar("C")


async def accept(
    handler: CommandHandler[S, C],
    stream_id: str,
    command: C,
    metadata: Metadata,
    answer: type[Answer],
    **extra: Any,
) -> Answer:
    """What a write route does once it has translated its request: handle the command on its
    stream and answer where the events landed (`extra`: the answer's own fields)."""
    return answer.of(await handler.handle(stream_id, command, metadata), **extra)


ReadinessCheck = Callable[[], Awaitable[None]]

_bearer = HTTPBearer(auto_error=False)


class AuthError(Exception):
    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def authenticate(tokens: TokenVerifier, token: str | None) -> Principal:
    """The token's principal; AuthError 401 without a valid token."""
    if not token:
        raise AuthError(401, "missing bearer token: send 'Authorization: Bearer <token>'")
    try:
        return tokens.verify(token)
    except InvalidTokenError as error:
        raise AuthError(401, f"invalid token: {error}") from None


def authorise(tokens: TokenVerifier, token: str | None, scope: str) -> Principal:
    """The token's principal; AuthError 401 without a valid token, 403 without `scope`."""
    principal = authenticate(tokens, token)
    if scope not in principal.scopes:
        raise AuthError(403, f"token lacks the scope {scope}")
    return principal


# Set on the dependencies below: the routes that use one need a valid token, which
# `Authenticate` checks before anything of the request is read. The value says whether
# `?access_token=` may carry it.
TOKEN_CHECK = "_crm_token_check"
Check = Callable[..., Awaitable[Principal]]


def _needs_token(check: Check, *, query_token: bool) -> Check:
    setattr(check, TOKEN_CHECK, query_token)
    return check


def require_scope(scope: str) -> Check:
    """A FastAPI dependency: 401 without a valid bearer token, 403 without `scope`."""

    async def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        return authorise(request.app.state.tokens, _bearer_token(credentials), scope)

    return _needs_token(check, query_token=False)


def require_feed(read_scope: str, owner_param: str = "owner") -> Check:
    """A FastAPI dependency for one owner's feed: a feed token of that owner, in the header or
    in `?access_token=` (calendar apps cannot send headers), or, in the header only, a token
    with `read_scope`. A URL leaks (apps, proxies' logs): only a feed token, which reads
    nothing but its owner's feed, is taken from one."""

    async def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        owner = request.path_params[owner_param]
        header_token = _bearer_token(credentials)
        token = header_token or request.query_params.get("access_token")
        principal = authenticate(request.app.state.tokens, token)
        if principal.owner is None:
            if header_token is None:
                raise AuthError(
                    403,
                    "only a feed token is taken from ?access_token= (`crm token issue "
                    f"--feed-owner {owner[:100]}`): send this one in the Authorization header",
                )
            if read_scope not in principal.scopes:
                raise AuthError(403, f"token lacks the scope {read_scope} or {FEED_SCOPE}")
        elif principal.owner != owner:
            raise AuthError(403, f"this feed token reads the feed of {principal.owner} only")
        return principal

    return _needs_token(check, query_token=True)


def _bearer_token(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return credentials.credentials if credentials else None


class Authenticate:
    """A request to a route that needs a token gets its 401 before any of its body is read or
    parsed: FastAPI reads and parses the body before it runs the dependencies that check the
    token. The router has picked the route (`scope["route"]`) by the time anything asks for
    the body, so the first ask is where the token is checked, route by route: only routes
    whose dependencies include a token check (above) need one; health, metrics, the docs
    and other routes pass untouched. Scopes (403) stay the dependency's, which finds the token
    verified already (remembered)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._needs: dict[int, bool | None] = {}  # by route (routes are not hashable)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        checked = False

        async def authenticated_receive() -> Message:
            nonlocal checked
            if not checked:
                checked = True
                self._authenticate(scope)
            return await receive()

        await self.app(scope, authenticated_receive, send)

    def _authenticate(self, scope: Scope) -> None:
        """HTTPException 401 (which FastAPI passes through, and the app answers with the
        platform's error body) if the request's route needs a token and has no valid one."""
        route = scope.get("route")
        if route is None:
            return
        if id(route) not in self._needs:
            self._needs[id(route)] = _token_check_of(route)
        query_token = self._needs[id(route)]
        if query_token is None:
            return
        scheme, credentials = get_authorization_scheme_param(
            Headers(scope=scope).get("authorization")
        )
        token = credentials if scheme.lower() == "bearer" and credentials else None
        if token is None and query_token:
            token = QueryParams(scope.get("query_string", b"")).get("access_token")
        try:
            authenticate(scope["app"].state.tokens, token)
        except AuthError as error:
            raise HTTPException(
                status_code=401,
                detail=[{"loc": ["header", "authorization"], "msg": error.message, "type": "auth"}],
                headers={"WWW-Authenticate": "Bearer"},
            ) from None


def _token_check_of(route: BaseRoute) -> bool | None:
    if not isinstance(route, APIRoute):
        return None
    found: bool | None = None
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        pending.extend(dependency.dependencies)
        marked = getattr(dependency.call, TOKEN_CHECK, None)
        if marked is not None:
            found = bool(found) or bool(marked)
    return found


def command_metadata(request: Request, principal: Principal) -> Metadata:
    """The actor and correlation id that every event of this request records."""
    return Metadata(actor=principal.subject, correlation_id=request.state.correlation_id)


def write_metadata(scope: str) -> Callable[..., Awaitable[Metadata]]:
    """A FastAPI dependency for write routes: the request's command metadata, for a caller
    whose token has `scope` (401 without a valid token, 403 without the scope)."""

    check = require_scope(scope)

    # A default, not `Annotated`: annotations are strings here, resolved in the module's
    # namespace, where `check` is not.
    async def metadata(
        request: Request,
        principal: Principal = Depends(check),  # noqa: B008
    ) -> Metadata:
        return command_metadata(request, principal)

    return metadata


# A correlation id is stored in every event of its request, forever and in clear (store, Kafka
# header, timeline): only a short token is taken, anything else is replaced by a fresh one. A
# 1.2 MB header once made a commit that could never be published, and jammed the relay.
CORRELATION_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def correlation_id_from(header: str | None) -> str:
    """The caller's correlation id if it is a short token, else a new one (never echoed)."""
    return header if header is not None and CORRELATION_ID.fullmatch(header) else str(uuid4())


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


def _error(status_code: int, loc: list[str | int], message: str, kind: str) -> JSONResponse:
    return JSONResponse(
        status_code=status_code, content={"detail": [{"loc": loc, "msg": message, "type": kind}]}
    )


def _auth_response(error: AuthError) -> JSONResponse:
    response = _error(error.status_code, ["header", "authorization"], error.message, "auth")
    if error.status_code == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def create_app(
    *,
    title: str,
    auth: TokenAuth,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    readiness: list[ReadinessCheck],
    readiness_timeout_s: float = 2.0,
) -> FastAPI:
    """`auth` verifies the tokens; its key set and revocation list are refreshed in the
    background while the app runs."""
    app = FastAPI(title=title, lifespan=_refreshing_tokens(lifespan, auth))
    app.state.tokens = auth.verifier
    app.add_middleware(Authenticate)  # innermost of the three: after the size limits
    app.add_middleware(RequestGuard)  # bounded headers and body, before anything is read
    app.add_middleware(CorrelationMiddleware)
    _add_error_handlers(app)
    _add_health_routes(app, readiness, auth, readiness_timeout_s)
    uniform_errors(app)
    return app


def _refreshing_tokens(
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]], auth: TokenAuth
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The service's lifespan, with `auth`'s key set and revocation list refreshed throughout."""

    @asynccontextmanager
    async def lifespan_and_tokens(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        refresher = asyncio.create_task(auth.run(stop))
        try:
            async with lifespan(app):
                yield
        finally:
            stop.set()
            await refresher

    return lifespan_and_tokens


def _loc(field: str | None) -> list[str | int]:
    """Where in the body a domain error points, as a validation error would spell it: a
    dotted path with positions ("lines.2.list_price") becomes ["body", "lines", 2, ...]."""
    parts = field.split(".") if field else []
    return ["body", *(int(p) if p.isdigit() else p for p in parts)]


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AuthError)
    async def auth_error(_: Request, error: AuthError) -> JSONResponse:
        return _auth_response(error)

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> JSONResponse:
        return _error(error.status_code, _loc(error.field), error.message, type(error).__name__)

    for kind in STORE_UNAVAILABLE:
        app.add_exception_handler(kind, _store_unavailable)


async def _store_unavailable(_: Request, error: Exception) -> JSONResponse:
    log.warning("the store does not answer: 503", error=type(error).__name__)
    response = _error(
        503,
        ["store"],
        "the database does not answer right now: retry later",
        "store_unavailable",
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def _add_health_routes(
    app: FastAPI, readiness: list[ReadinessCheck], auth: TokenAuth, timeout_s: float
) -> None:
    @app.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        return {"status": "live"}

    @app.get("/health/ready", tags=["health"], responses=READINESS)
    async def ready() -> JSONResponse:
        # All at once, each bounded: a store or broker that hangs makes this 503, not slow.
        checks = [*readiness, auth.revocation_list]
        results = await asyncio.gather(*(_failure(check, timeout_s) for check in checks))
        failures: dict[str, Any] = {
            getattr(check, "__name__", "check"): result
            for check, result in zip(checks, results, strict=True)
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


async def _failure(check: ReadinessCheck, timeout_s: float) -> str | None:
    """Why `check` fails within `timeout_s`, or None when it passes."""
    try:
        await asyncio.wait_for(check(), timeout=timeout_s)
    except TimeoutError:
        return f"no answer within {timeout_s:g}s"
    except Exception as error:
        return str(error) or type(error).__name__
    return None
