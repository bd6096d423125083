"""The 401 before a body is read (issue 10) finds a route's token check among the route's own
dependencies. A route whose check came from `include_router(dependencies=...)`, or that had
none, would have its body read before any 401: every route of every service but health,
metrics and the API documents carries its check itself."""

from __future__ import annotations

import importlib

import pytest
from crm_kernel.http import _token_check_of
from crm_kernel.settings import ServiceSettings
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from tests.support import JWKS

PUBLIC = {"/health/live", "/health/ready", "/metrics"}


def api_routes(routes: list[BaseRoute], prefix: str = "") -> list[tuple[str, APIRoute]]:
    """Every API route with its full path, through included routers (FastAPI includes them
    lazily: `app.routes` holds an included router as one entry). An include that adds
    dependencies of its own fails here: its routes' checks would not be their own."""
    found: list[tuple[str, APIRoute]] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((prefix + route.path, route))
        elif (included := getattr(route, "original_router", None)) is not None:
            context = route.include_context  # type: ignore[attr-defined]
            assert not context.dependencies, f"dependencies on include_router at {context.prefix}"
            found += api_routes(included.routes, prefix + context.prefix)
    return found


@pytest.mark.parametrize("service", ["contacts", "sales", "campaigns", "support", "projections"])
def test_every_route_but_health_declares_its_own_token_check(service: str) -> None:
    bootstrap = importlib.import_module(f"crm_{service}.bootstrap")
    app = bootstrap.create_service(ServiceSettings(auth_jwks=JWKS)).app
    routes = [(path, r) for path, r in api_routes(app.router.routes) if r.include_in_schema]
    assert len([path for path, _ in routes if path not in PUBLIC]) >= 1
    unchecked = [
        f"{sorted(r.methods)} {path}"
        for path, r in routes
        if path not in PUBLIC and _token_check_of(r) is None
    ]
    assert unchecked == [], f"declare require_scope on the route itself: {unchecked}"
