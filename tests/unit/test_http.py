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


def test_only_a_short_token_is_taken_as_correlation_id() -> None:
    # Stored in every event forever: a 1.2 MB header made a commit that could never be
    # published and jammed the relay for every stream after it.
    from crm_kernel.http import correlation_id_from

    assert correlation_id_from("req-42.a_B") == "req-42.a_B"
    for bad in ("x" * 65, "x" * 1_200_000, "a b", "ümlaut", "", "a\nb", None):
        minted = correlation_id_from(bad)
        assert minted != bad and len(minted) == 36


def test_an_oversized_correlation_id_is_replaced_not_echoed() -> None:
    with TestClient(app()) as client:
        response = client.get("/echo", headers={CORRELATION_HEADER: "x" * 1_000})
    minted = response.headers[CORRELATION_HEADER]
    assert uuid.UUID(minted) and response.json() == {"correlation_id": minted}


def test_every_answer_carries_the_security_headers() -> None:
    with TestClient(app()) as client:
        for path in ("/echo", "/health/live", "/nowhere", "/metrics"):
            headers = client.get(path).headers
            assert headers["X-Content-Type-Options"] == "nosniff", path
            assert headers["Cache-Control"] == "no-store", path
            assert headers["X-Frame-Options"] == "DENY", path
            assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path


def test_a_body_above_the_limit_is_refused_before_it_is_read() -> None:
    # A 100 MB body without a token was read and parsed before its 401.
    read: list[int] = []
    service = app()

    @service.post("/take")
    async def take(request: Request) -> dict[str, int]:
        read.append(len(await request.body()))
        return {"n": read[-1]}

    with TestClient(service) as client:
        big = client.post("/take", content=b"x" * 1_048_577)
        assert big.status_code == 413 and big.json()["detail"][0]["loc"] == ["body"]

        def chunks():  # no Content-Length: counted as it arrives
            for _ in range(20):
                yield b"x" * 100_000

        assert client.post("/take", content=chunks()).status_code == 413
        assert client.post("/take", content=b"x" * 1000).json() == {"n": 1000}
    assert read == [1000]


def test_headers_above_16_kb_are_refused() -> None:
    with TestClient(app()) as client:
        response = client.get("/echo", headers={"X-Filler": "x" * 17_000})
    assert response.status_code == 431
