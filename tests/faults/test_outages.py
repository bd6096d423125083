"""Issue 9, on real processes of the test's own (the session's broker and store go on
undisturbed): a dead broker never holds up a command's answer, its events reach Kafka once
the broker is back, and the service logs the outage in a few lines, not ~100 a second; a
frozen store is a prompt JSON 503 with Retry-After, and nothing is recorded.

Each test is bounded (under 90 s) and prints what it measured (`pytest -s` shows it)."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from crm_kernel.auth import issue_token
from crm_local.infra import FerretDB, InfraSettings, Kafka
from crm_local.processes import Managed

from tests.faults.conftest import OwnInfra
from tests.processes import free_port, ready
from tests.support import JWKS, SECRET, mongo

pytestmark = [pytest.mark.faults, pytest.mark.timeout(90)]

HANG_S = 10.0  # guards against a hang, not a tight time: the publish bound is 1 s
TOPIC = "crm.contacts.events"


@dataclass(frozen=True)
class Outages:
    """A broker, a store and a contacts service of this module's own, to kill and freeze."""

    settings: InfraSettings
    service: Managed
    url: str
    database: str

    @property
    def kafka(self) -> Kafka:
        return Kafka(self.settings)

    @property
    def store(self) -> FerretDB:
        return FerretDB(self.settings)

    def kill_broker(self) -> None:
        OwnInfra(self.settings).kill_broker()

    def signal_store(self, which: signal.Signals) -> None:
        OwnInfra(self.settings).signal_store(which)

    def log_lines(self) -> list[dict]:
        lines = []
        for line in self.service.log_file.read_text().splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                lines.append({"event": line, "level": "raw"})
        return lines


@pytest.fixture(scope="module")
def outages(own_infra: OwnInfra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outages]:
    """A contacts service of this module's own, on the tier's broker and store."""
    state = tmp_path_factory.mktemp("outages")
    settings = own_infra.settings
    run = uuid.uuid4().hex[:8]
    port = free_port()
    service = Managed("contacts", state)
    own = Outages(settings, service, f"http://127.0.0.1:{port}", f"outage_{run}_contacts")
    try:
        service.start(
            [sys.executable, "-m", "crm_contacts"],
            env={
                "CRM_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
                "CRM_MONGO_URL": settings.mongo_url,
                "CRM_DATABASE": own.database,
                "CRM_VAULT_DATABASE": f"outage_{run}_vault",
                "CRM_HTTP_PORT": str(port),
                "CRM_AUTH_JWKS": JWKS,
                "CRM_RELAY_INTERVAL_S": "0.5",
            },
        )
        service.wait_until(lambda: ready(own.url), "ready", timeout_s=45)
        yield own
    finally:
        own_infra.thaw_store()  # a frozen process cannot stop cleanly
        service.stop()


def _headers() -> dict[str, str]:
    token = issue_token(SECRET, "outages", ["contacts:write"], timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


def _register(http: httpx.Client, url: str) -> tuple[httpx.Response, float, str]:
    customer_id = str(uuid.uuid4())
    started = time.perf_counter()
    response = http.post(
        f"{url}/customers", json={"customer_id": customer_id, "name": "Outage Test"}
    )
    return response, time.perf_counter() - started, customer_id


async def _event_ids_on_kafka(bootstrap: str, wanted: set[str], timeout_s: float) -> set[str]:
    consumer = AIOKafkaConsumer(
        TOPIC, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    seen: set[str] = set()
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout_s
        while not wanted <= seen and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    headers = {k: v.decode() for k, v in record.headers}
                    seen.add(headers.get("ce_id", ""))
    finally:
        await consumer.stop()
    return seen & wanted


def test_commands_answer_while_the_broker_is_down_and_reach_it_once_it_is_back(
    outages: Outages,
) -> None:
    with httpx.Client(headers=_headers(), timeout=HANG_S) as http:
        up, up_s, _ = _register(http, outages.url)
        assert up.status_code == 201, up.text
        outages.kill_broker()
        down_since = len(outages.log_lines())
        killed = time.monotonic()
        answers: list[float] = []
        events: set[str] = set()
        for _ in range(6):
            try:
                response, took, _ = _register(http, outages.url)
            except httpx.TimeoutException:
                pytest.fail(f"a command hung for {HANG_S:.0f}s or more with the broker down")
            assert response.status_code == 201, response.text
            answers.append(took)
            events.update(response.json()["event_ids"])
        time.sleep(max(0.0, 12 - (time.monotonic() - killed)))  # a logging interval or more
        outage_s = time.monotonic() - killed
        during = outages.log_lines()[down_since:]
        outages.kafka.up()
        back = time.monotonic()
        arrived = asyncio.run(
            _event_ids_on_kafka(outages.settings.kafka_bootstrap, events, timeout_s=40)
        )
        delivered_s = time.monotonic() - back
    alarms = [line for line in during if line.get("level") in ("warning", "error", "raw")]
    print(
        f"\n[outages] broker up: command answered in {up_s * 1000:.0f} ms; broker down: "
        + ", ".join(f"{a * 1000:.0f}" for a in answers)
        + f" ms; {len(alarms)} warning/error lines in {outage_s:.0f} s of outage; "
        f"events on Kafka {delivered_s:.1f} s after its restart"
    )
    for event, count in Counter(str(line.get("event"))[:90] for line in alarms).most_common(8):
        print(f"[outages]   {count} x {event}")
    assert max(answers) < HANG_S
    assert arrived == events, f"{len(events - arrived)} events never reached Kafka"
    # One line per message and interval, not ~100 a second.
    assert len(alarms) < 40, [line.get("event") for line in alarms][:40]


def _get(url: str) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = httpx.get(url, timeout=HANG_S)
    return response, time.perf_counter() - started


async def _recorded(outages: Outages, customer_id: str) -> bool:
    client = mongo(outages.settings)
    try:
        found = await client[outages.database]["events"].find_one(
            {"stream_id": f"customer-{customer_id}"}
        )
        return found is not None
    finally:
        await client.close()


def test_a_frozen_store_answers_503_promptly_and_records_nothing(outages: Outages) -> None:
    with httpx.Client(headers=_headers(), timeout=HANG_S) as http:
        before, _, _ = _register(http, outages.url)
        assert before.status_code == 201, before.text
        outages.signal_store(signal.SIGSTOP)
        try:
            ready, ready_s = _get(f"{outages.url}/health/ready")
            answers = []
            refused = []
            for _ in range(3):
                try:
                    response, took, customer_id = _register(http, outages.url)
                except httpx.TimeoutException:
                    pytest.fail(f"a command hung for {HANG_S:.0f}s or more on a frozen store")
                answers.append((response, took))
                refused.append(customer_id)
        finally:
            outages.signal_store(signal.SIGCONT)
        thawed = time.monotonic()
        after = None
        while time.monotonic() - thawed < 30:  # recovers without a restart
            after, _, _ = _register(http, outages.url)
            if after.status_code == 201:
                break
            time.sleep(0.5)
        recovered_s = time.monotonic() - thawed
    print(
        f"\n[outages] store frozen: /health/ready {ready.status_code} in {ready_s * 1000:.0f} ms;"
        " commands "
        + ", ".join(f"{r.status_code} in {t * 1000:.0f} ms" for r, t in answers)
        + f"; 201 again {recovered_s:.1f} s after the thaw"
    )
    assert ready.status_code == 503 and ready_s < 5
    for response, _ in answers:
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/json"
        assert int(response.headers["Retry-After"]) > 0
        # The store's own timeout, or the request's deadline, whichever comes first.
        assert response.json()["detail"][0]["type"] in ("store_unavailable", "deadline_exceeded")
    assert after is not None and after.status_code == 201, after and after.text
    assert not any(asyncio.run(_recorded(outages, cid)) for cid in refused)
