"""Issue 9: what a service answers and logs while its store or broker does not answer."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from crm_kernel.adapters import mongo_client
from crm_kernel.http import create_app
from crm_kernel.logging import RepeatFilter
from crm_kernel.settings import ServiceSettings
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pymongo.errors import AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError

from tests.support import auth_for_tests


@asynccontextmanager
async def nothing(_: FastAPI) -> AsyncIterator[None]:
    yield


async def mongodb() -> None:  # a store that never answers
    await asyncio.sleep(60)


async def answers() -> None:
    return None


def app(readiness=(), timeout_s: float = 2.0) -> FastAPI:
    service = create_app(
        title="t",
        auth=auth_for_tests(),
        lifespan=nothing,
        readiness=list(readiness),
        readiness_timeout_s=timeout_s,
    )

    @service.post("/store-down/{kind}")
    async def store_down(kind: str) -> None:
        errors = {
            "selection": ServerSelectionTimeoutError("No servers found yet"),
            "network": NetworkTimeout("timed out"),
            "reconnect": AutoReconnect("connection closed"),
        }
        raise errors[kind]

    return service


@pytest.mark.parametrize("kind", ["selection", "network", "reconnect"])
def test_a_store_that_does_not_answer_is_a_json_503_with_retry_after(kind: str) -> None:
    with TestClient(app()) as client:
        response = client.post(f"/store-down/{kind}")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["Retry-After"]) > 0
    [detail] = response.json()["detail"]
    assert detail["type"] == "store_unavailable" and "retry" in detail["msg"]


def test_readiness_answers_503_in_its_own_time_when_a_dependency_hangs() -> None:
    with TestClient(app([mongodb, answers], timeout_s=0.3)) as client:
        started = time.monotonic()
        response = client.get("/health/ready")
        elapsed = time.monotonic() - started
    assert response.status_code == 503 and elapsed < 2
    assert response.json()["failed"] == {"mongodb": "no answer within 0.3s"}


def test_readiness_answers_200_when_everything_answers() -> None:
    with TestClient(app([answers, answers], timeout_s=0.3)) as client:
        assert client.get("/health/ready").status_code == 200


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def record(msg: object, level: int = logging.ERROR, name: str = "aiokafka.client"):
    return logging.LogRecord(name, level, __file__, 1, msg, ("1", "refused"), None)


def test_a_repeated_error_passes_once_per_interval_with_a_count_of_the_dropped() -> None:
    clock = Clock()
    repeats = RepeatFilter(10, clock=clock)
    template = "Unable connect to node with id %s: %s"
    passed = []
    for tick in range(1000):  # 100 a second for 10 s, then once more
        clock.now = tick / 100
        if repeats.filter(r := record(template)):
            passed.append(r)
    clock.now = 10.0
    later = record(template)
    assert len(passed) == 1 and repeats.filter(later)
    assert later.suppressed == 999  # type: ignore[attr-defined]
    # Other messages, and info lines, are not held back by it.
    assert repeats.filter(record("Unable to update metadata from %s"))
    assert all(repeats.filter(record("request", logging.INFO)) for _ in range(5))


def test_structlog_events_are_keyed_by_their_event_and_carry_the_count() -> None:
    clock = Clock()
    repeats = RepeatFilter(10, clock=clock)
    event = {"event": "relay sweep failed, will retry", "error": "KafkaTimeoutError"}
    assert repeats.filter(record(dict(event), logging.WARNING, "crm_kernel.relay"))
    assert not repeats.filter(record(dict(event), logging.WARNING, "crm_kernel.relay"))
    clock.now = 11
    shown = record(dict(event), logging.WARNING, "crm_kernel.relay")
    assert repeats.filter(shown) and shown.msg["suppressed"] == 1


def test_every_mongo_client_has_timeouts() -> None:
    client = mongo_client("mongodb://127.0.0.1:1/", connect=False)
    options = client.options
    assert options.server_selection_timeout == 5
    assert options.pool_options.connect_timeout == 5
    assert options.pool_options.socket_timeout == 15
    tuned = ServiceSettings(mongo_socket_timeout_s=3, mongo_server_selection_timeout_s=1)
    options = mongo_client("mongodb://127.0.0.1:1/", tuned, connect=False).options
    assert options.server_selection_timeout == 1 and options.pool_options.socket_timeout == 3
