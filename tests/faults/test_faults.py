"""Fault scenarios on real processes (issue 9), each bounded in count and time and reporting
its figures (`pytest -s` shows them): commands accepted, lost, doubled, how long recovery took.

- the broker killed (-9) under load: commands still answer promptly, nothing lost or doubled;
- the store frozen: clean 503s at once, recovery without a restart (test_outages.py);
- the projector killed (-9) with a backlog of updates to existing customers: it ends equal to
  a clean rebuild;
- poison messages: dead-lettered, the partition keeps moving.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
import uuid
from collections.abc import Awaitable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import psutil
import pytest
from aiokafka import AIOKafkaProducer
from crm_kernel.auth import issue_token
from crm_kernel.settings import ServiceSettings
from crm_local.synthetic import registered
from crm_projections.entrypoints.admin import rebuild_into

from tests.faults.conftest import OwnInfra
from tests.integration.test_backlog import T0, updates
from tests.integration.test_relay_and_projector import messages_for
from tests.processes import Running, running_platform
from tests.support import JWKS, SECRET, differences, group_caught_up, mongo, publisher, wait_for

SCOPES = ["contacts:write", "sales:write", "projections:read"]
BACKLOG_CUSTOMERS = 300  # x 4 updates each, in one backlog
ANSWER_BOUND_S = 10.0  # a hang, not a tight time: the in-request publish waits 1 s at most


@pytest.fixture(scope="module")
def platform(own_infra: OwnInfra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running_platform(
        own_infra.kafka_bootstrap, own_infra.mongo_url, tmp_path_factory.mktemp("fault-platform")
    ) as running:
        yield running


def client() -> httpx.AsyncClient:
    token = issue_token(SECRET, "faults", SCOPES, timedelta(hours=1))
    return httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)


class Load:
    """Registrations, each followed by an order for the new customer, sent at a steady rate,
    every answer timed and kept. The order is what can show a loss or a double: the 360 view
    counts each OrderPlaced it applies."""

    def __init__(self, http: httpx.AsyncClient, urls: dict[str, str]) -> None:
        self._http, self._urls = http, urls
        self.customers: list[str] = []
        self.ordered: set[str] = set()
        self.answers_s: list[float] = []
        self.refused: list[int] = []

    async def one(self, n: int) -> None:
        """One stream's commands one after the other (two at once on one stream would be a
        409 by design, not a fault)."""
        cid = str(uuid.uuid4())
        registered = await self._timed(
            self._http.post(
                f"{self._urls['contacts']}/customers", json={"customer_id": cid, "name": f"F {n}"}
            )
        )
        if registered.status_code != 201:
            return
        self.customers.append(cid)
        order = {
            "order_id": str(uuid.uuid4()),
            "customer_id": cid,
            "currency": "EUR",
            "lines": [{"sku": "F-1", "quantity": 1, "unit_price": "9.50"}],
        }
        placed = await self._timed(self._http.post(f"{self._urls['sales']}/orders", json=order))
        if placed.status_code == 201:
            self.ordered.add(cid)

    async def _timed(self, request: Awaitable[httpx.Response]) -> httpx.Response:
        started = time.perf_counter()
        response = await request
        self.answers_s.append(time.perf_counter() - started)
        if response.status_code not in (200, 201):
            self.refused.append(response.status_code)
        return response

    async def run(self, count: int, rate: float) -> None:
        started = time.perf_counter()
        tasks = []
        for n in range(count):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(self.one(n)))
        await asyncio.gather(*tasks)

    @property
    def accepted(self) -> int:
        return len(self.customers) + len(self.ordered)


async def all_visible(
    http: httpx.AsyncClient, urls: dict[str, str], load: Load, timeout_s: float = 120
) -> dict[str, int]:
    """Waits, within one deadline for all, until every accepted command shows in the 360 view;
    returns how many customers lost a command and how many had one applied twice."""
    expected = {cid: 1 if cid in load.ordered else 0 for cid in load.customers}
    shown: dict[str, int] = {}

    async def complete() -> bool:
        for cid, orders in expected.items():
            if cid in shown and shown[cid] >= orders:
                continue
            view = await http.get(f"{urls['projections']}/customers/{cid}")
            if view.status_code != 200 or view.json()["profile"] is None:
                return False
            shown[cid] = view.json()["sales"]["orders_count"]
            if shown[cid] < orders:
                return False
        return True

    with contextlib.suppress(AssertionError):
        await wait_for(complete, timeout_s, "every accepted command in the 360 view")
    lost = sum(cid not in shown or shown[cid] < orders for cid, orders in expected.items())
    doubled = sum(shown.get(cid, 0) > orders for cid, orders in expected.items())
    return {"lost": lost, "doubled": doubled}


async def consumer_restarts(http: httpx.AsyncClient, urls: dict[str, str]) -> int:
    """How often the projector's watchdog restarted its consumer (ADR 24)."""
    text = (await http.get(f"{urls['projections']}/metrics")).text
    return sum(
        int(float(line.rsplit(" ", 1)[1]))
        for line in text.splitlines()
        if line.startswith("crm_consumer_restarts_total{")
    )


def report(scenario: str, **figures: Any) -> None:
    print(f"\n[faults] {scenario}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))


async def test_broker_killed_under_load(own_infra: OwnInfra, platform: Running) -> None:
    async with client() as http:
        load = Load(http, platform.urls)

        async def outage() -> float:
            await asyncio.sleep(2)
            own_infra.kill_broker()
            await asyncio.sleep(4)
            await asyncio.to_thread(own_infra.start_broker)
            return time.perf_counter()

        back, _ = await asyncio.gather(outage(), load.run(count=80, rate=8))
        figures = await all_visible(http, platform.urls, load)
        recovered_s = time.perf_counter() - back
        restarts = await consumer_restarts(http, platform.urls)
    report(
        "broker killed -9 under load",
        accepted=load.accepted,
        refused=len(load.refused),
        answer_p50_ms=round(statistics.median(load.answers_s) * 1000),
        answer_max_ms=round(max(load.answers_s) * 1000),
        recovery_s=round(recovered_s, 1),
        consumer_restarts=restarts,
        **figures,
    )
    assert figures == {"lost": 0, "doubled": 0}
    assert load.refused == []  # the store was up: every command is recorded
    assert max(load.answers_s) < ANSWER_BOUND_S


def kill(platform: Running, name: str) -> None:
    pid = platform.processes[name].pid()
    assert pid is not None, f"{name} is not running"
    process = psutil.Process(pid)
    process.kill()
    process.wait(timeout=10)


async def test_projector_killed_with_a_backlog_and_poison_ends_equal_to_a_rebuild(
    own_infra: OwnInfra, platform: Running
) -> None:
    group = platform.env["projections"]["CRM_CONSUMER_GROUP"]
    customers = [str(uuid.uuid4()) for _ in range(BACKLOG_CUSTOMERS)]
    poison_key = customers[0].encode()

    async def caught_up() -> bool:
        return await group_caught_up(own_infra.kafka_bootstrap, group)

    async with publisher(own_infra.kafka_bootstrap) as publish:
        await publish([e for n, cid in enumerate(customers) for e in registered(cid, n, "t", T0)])
        await wait_for(caught_up, 120, "registrations projected")
        kill(platform, "projections")
        backlog = [e for n, cid in enumerate(customers) for e in updates(cid, n)]
        await publish(backlog)
    producer = AIOKafkaProducer(bootstrap_servers=own_infra.kafka_bootstrap)
    await producer.start()
    try:
        for topic in ("crm.contacts.events", "crm.sales.events"):
            await producer.send_and_wait(topic, b"{poison", key=poison_key)
    finally:
        await producer.stop()

    started = time.perf_counter()
    platform.start("projections")
    await asyncio.sleep(1.0)  # mid-backlog: the projector has written part of it
    kill(platform, "projections")
    platform.start("projections")
    await wait_for(caught_up, 180, "backlog caught up after two kills")
    recovered_s = time.perf_counter() - started

    settings = ServiceSettings(
        kafka_bootstrap=own_infra.kafka_bootstrap,
        mongo_url=own_infra.mongo_url,
        auth_jwks=JWKS,
        database=platform.databases["projections"],
        vault_database=platform.vault_database,
    )
    target = f"{platform.databases['projections']}_clean"
    await rebuild_into(settings, target, switch=False, show=False)
    store = mongo(own_infra)
    said = await differences(store[platform.databases["projections"]], store[target])
    await store.close()
    dead = await messages_for(own_infra.kafka_bootstrap, "crm.projections.dlt", poison_key, 2)
    report(
        "projector killed -9 twice with a backlog",
        events=len(backlog),
        customers=BACKLOG_CUSTOMERS,
        recovery_s=round(recovered_s, 1),
        dead_lettered=len(dead),
        differing=len(said),
    )
    assert said == []
    assert {m.topic for m in dead} == {"crm.projections.dlt"} and len(dead) >= 2
