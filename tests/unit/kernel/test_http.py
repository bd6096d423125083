"""The HTTP shell every service shares: correlation ids travel from request to response."""

from __future__ import annotations

import uuid

from crm_kernel.http import CORRELATION_HEADER
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from tests.support import bare_app


def app() -> FastAPI:
    service = bare_app()

    @service.get("/echo")
    async def echo(request: Request) -> dict[str, str]:
        return {"correlation_id": request.state.correlation_id}

    @service.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    return service


def test_a_given_correlation_id_reaches_the_handler_and_the_response() -> None:
    with TestClient(app()) as client:
        response = client.get("/echo", headers={CORRELATION_HEADER: "corr-7"})
    assert response.json() == {"correlation_id": "corr-7"}
    assert response.headers[CORRELATION_HEADER] == "corr-7"


def test_a_request_without_one_gets_a_fresh_id_each_time() -> None:
    with TestClient(app()) as client:
        first, second = client.get("/echo"), client.get("/echo")
    ids = [r.headers[CORRELATION_HEADER] for r in (first, second)]
    assert [r.json()["correlation_id"] for r in (first, second)] == ids
    assert ids[0] != ids[1] and all(uuid.UUID(i) for i in ids)


def test_a_failing_handler_still_answers_500() -> None:
    with TestClient(app(), raise_server_exceptions=False) as client:
        assert client.get("/boom").status_code == 500
