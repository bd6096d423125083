"""All five services as separate processes, on the test infrastructure."""

from __future__ import annotations

import socket
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from crm_local.processes import Managed

from tests.support import SECRET

SERVICES = ("contacts", "sales", "campaigns", "support", "projections")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Running:
    urls: dict[str, str]
    databases: dict[str, str]
    vault_database: str
    mongo_url: str
    kafka_bootstrap: str


@pytest.fixture(scope="session")
def platform(infra, tmp_path_factory) -> Iterator[Running]:
    state = tmp_path_factory.mktemp("platform")
    run = uuid.uuid4().hex[:8]
    ports = {name: _free_port() for name in SERVICES}
    databases = {name: f"e2e_{run}_{name}" for name in SERVICES}
    processes = {name: Managed(name, state) for name in SERVICES}
    for name, process in processes.items():
        process.start(
            [sys.executable, "-m", f"crm_{name}"],
            env={
                "CRM_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
                "CRM_MONGO_URL": infra.mongo_url,
                "CRM_DATABASE": databases[name],
                "CRM_VAULT_DATABASE": f"e2e_{run}_vault",
                "CRM_HTTP_PORT": str(ports[name]),
                "CRM_AUTH_SECRET": SECRET,
                "CRM_CONSUMER_GROUP": f"e2e-{run}-projections",
            },
        )
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    try:
        for name, process in processes.items():
            process.wait_until(lambda n=name: _ready(urls[n]), "ready", timeout_s=60)
        yield Running(
            urls=urls,
            databases=databases,
            vault_database=f"e2e_{run}_vault",
            mongo_url=infra.mongo_url,
            kafka_bootstrap=infra.kafka_bootstrap,
        )
    finally:
        for process in processes.values():
            process.stop()


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        time.sleep(0.2)
        return False
