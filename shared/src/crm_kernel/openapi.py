"""What the OpenAPI documents say a route answers besides its success, in one place.

Every error of the platform has one body, `ErrorBody` (see `crm_kernel.http._error`):
`{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`. `uniform_errors` adds to every
authenticated operation the answers any of them may give (401, 403, 503 when the store does
not answer, 400 for a body that is not JSON), and makes the errors FastAPI and Starlette raise
themselves (a body that does not parse, an unknown path or method, invalid input) use that body
too; a route adds its own with `responses=errors(404, 409, ...)`.

A 422 never echoes the input (issue 10): it may be personal data, it once came back whole
(100 MB), and a lone surrogate in it could not be encoded (a 500 instead of the 422). Each
error keeps where (`loc`), why (`msg`) and what kind (`type`), each bounded, and `ctx` (the
limits it broke) with scalar values only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.utils import is_body_allowed_for_status_code
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.routing import Match

from crm_kernel.text import preview


class ErrorItem(BaseModel):
    loc: list[str | int] = Field(description="Where: `body`/`query`/`path`/`header`, then names")
    msg: str
    type: str
    ctx: dict[str, str | int | float | bool] | None = Field(
        default=None, description="The limit or rule broken (e.g. `max_length`), when there is one"
    )


class ErrorBody(BaseModel):
    """Every refusal and failure of the platform's HTTP APIs."""

    detail: list[ErrorItem]


class ReadinessBody(BaseModel):
    status: str
    failed: dict[str, str] = Field(default_factory=dict, description="Check name: why it failed")


DESCRIPTIONS = {
    400: "The body is not JSON (or not UTF-8)",
    401: "No bearer token, or one that is invalid or expired",
    403: "The token lacks the scope this route needs",
    404: "Unknown subject (customer, contact point, interaction, activity, organisation)",
    409: "Conflict: exists already, or another write won the race (retry)",
    410: "Gone: the customer was erased or merged into another",
    422: "The request is invalid or the business rules refuse it",
    503: "Unavailable for now (the store does not answer, or not caught up): see Retry-After",
}
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "string"}}
}
PROMETHEUS_TEXT = "text/plain"
CALENDAR = "text/calendar"


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """FastAPI `responses=` for these statuses, each with the platform's error body."""
    found: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        found[status] = {"model": ErrorBody, "description": DESCRIPTIONS[status]}
        if status == 503:
            found[status]["headers"] = RETRY_AFTER
    return found


def text(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """FastAPI `responses=` for a 200 that is text of `media_type`, not JSON."""
    return {
        200: {"description": description, "content": {media_type: {"schema": {"type": "string"}}}}
    }


READINESS: dict[int | str, dict[str, Any]] = {
    200: {"model": ReadinessBody, "description": "Every dependency answers"},
    503: {"model": ReadinessBody, "description": "A dependency does not answer: see `failed`"},
}
# Every write of a bounded context: the request or the rules refuse it, a concurrent write, or
# a customer who was erased.
COMMAND_ERRORS = errors(409, 410, 422)
# Contacts' writes also name customers, points and activities that must exist and not be gone.
SUBJECT_COMMAND_ERRORS = errors(404, 409, 410, 422)


def uniform_errors(app: FastAPI) -> None:
    """Give every error of `app` the platform's error body, and make its OpenAPI document say
    what every authenticated route may answer (401, 403, 503, 400); routes added after this
    call are covered too."""
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    generate = app.openapi
    documented = False

    def openapi() -> dict[str, Any]:
        nonlocal documented
        schema = generate()
        if not documented:
            _add_common(schema)
            documented = True
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


# Where an error FastAPI or Starlette raise is: the body that does not parse, the path or method.
_LOCATIONS = {400: ["body"], 404: ["path"], 405: ["method"]}


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    headers = dict(error.headers or {})
    if error.status_code == 405:
        # Starlette names the methods of the first route on the path only: name all of them.
        headers["Allow"] = ", ".join(sorted(_allowed_methods(request)))
    if not is_body_allowed_for_status_code(error.status_code):
        return Response(status_code=error.status_code, headers=headers)
    detail: Any = error.detail
    if not isinstance(detail, list):  # the platform's routes give a list already
        location = _LOCATIONS.get(error.status_code, ["request"])
        detail = [{"loc": location, "msg": str(detail), "type": "http_error"}]
    return JSONResponse({"detail": detail}, status_code=error.status_code, headers=headers)


# Bounds of a 422: a body of 100,000 unknown fields is 100,000 errors otherwise.
MAX_ERRORS = 20
MAX_MESSAGE = 300
MAX_NAME = 60
MAX_CTX = 200
# pydantic's own words for a lone surrogate in a str field: say what it is and what to do.
_UNICODE = "holds a lone surrogate (e.g. \\ud800) or other invalid Unicode: send valid text"


async def _validation_error(_: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    return JSONResponse({"detail": short_errors(error.errors())}, status_code=422)


def short_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """pydantic's errors without their input, each part bounded and encodable."""
    shown = []
    for error in errors[:MAX_ERRORS]:
        item: dict[str, Any] = {
            "loc": [p if isinstance(p, int) else preview(p, MAX_NAME) for p in error["loc"]],
            "msg": _UNICODE
            if error["type"] == "string_unicode"
            else preview(error["msg"], MAX_MESSAGE),
            "type": preview(error["type"], MAX_NAME),
        }
        ctx = {
            preview(k, MAX_NAME): v if isinstance(v, int | float) else preview(v, MAX_CTX)
            for k, v in (error.get("ctx") or {}).items()
            if k != "error"  # the exception, whose text is `msg` already
        }
        if ctx:
            item["ctx"] = ctx
        shown.append(item)
    if len(errors) > MAX_ERRORS:
        more = f"{len(errors) - MAX_ERRORS} more errors not shown: fix these first"
        shown.append({"loc": ["request"], "msg": more, "type": "too_many_errors"})
    return shown


def _allowed_methods(request: Request) -> set[str]:
    allowed: set[str] = set()
    for route in request.app.router.routes:
        methods = getattr(route, "methods", None)
        if methods and route.matches(request.scope)[0] is not Match.NONE:
            allowed |= methods
    return allowed


def _add_common(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in body.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault("ErrorBody", body)
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict) or not operation.get("security"):
                continue
            responses = operation.setdefault("responses", {})
            statuses = (400, 401, 403, 503) if "requestBody" in operation else (401, 403, 503)
            for status in statuses:
                answer: dict[str, Any] = {
                    "description": DESCRIPTIONS[status],
                    "content": reference,
                }
                if status == 503:
                    answer["headers"] = RETRY_AFTER
                responses.setdefault(str(status), answer)
