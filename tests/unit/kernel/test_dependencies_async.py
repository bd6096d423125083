"""Every route dependency is a coroutine: FastAPI runs a plain `def` dependency in a thread
pool, and that hop (a queue, a lock, a thread switch) per dependency per request showed in
the profiles of the hot path."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from crm_campaigns.bootstrap import create_service as campaigns
from crm_contacts.bootstrap import create_service as contacts
from crm_kernel.settings import ServiceSettings
from crm_projections.bootstrap import create_service as projections
from crm_sales.bootstrap import create_service as sales
from crm_support.bootstrap import create_service as support
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from tests.support import JWKS

SETTINGS = ServiceSettings(auth_jwks=JWKS, mongo_url="mongodb://127.0.0.1:1/")


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (included := getattr(route, "original_router", None)) is not None:
            yield from _routes(included.routes)  # an included router, walked lazily by FastAPI


def _sync_dependencies(app: FastAPI) -> list[str]:
    found = []
    for route in _routes(app.routes):
        for call in _calls(route.dependant):
            target = call if inspect.isfunction(call) else getattr(call, "__call__", call)  # noqa: B004
            if not inspect.iscoroutinefunction(target):
                found.append(f"{route.path}: {getattr(call, '__qualname__', call)}")
    return found


@pytest.mark.parametrize("create", [contacts, sales, campaigns, support, projections])
def test_no_route_dependency_runs_in_the_thread_pool(create: Any) -> None:
    app = create(SETTINGS).app
    assert len(list(_routes(app.routes))) > 3, "the service's own routes were found"
    assert _sync_dependencies(app) == []


def test_the_check_finds_a_plain_function() -> None:
    from fastapi import Depends

    app = FastAPI()

    def plain() -> int:
        return 1

    @app.get("/x")
    async def route(value: int = Depends(plain)) -> int:
        return value

    assert _sync_dependencies(app) == ["/x: test_the_check_finds_a_plain_function.<locals>.plain"]
