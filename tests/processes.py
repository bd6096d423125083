"""All five services as separate processes, on the infrastructure given: for the e2e tests
(on the session's broker and store) and the fault tests (on ones of their own)."""

from __future__ import annotations

import json
import socket
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from crm_kernel.contexts import SERVICES
from crm_local.processes import Managed
from crm_support.domain.sla import DEFAULT_POLICIES

from tests.support import JWKS


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports. Each is held until all are found: a port freed and asked
    for again at once may come back twice (two services then raced for one port, and the
    loser's readiness check was answered by the winner)."""
    held = [socket.socket() for _ in range(count)]
    try:
        for sock in held:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in held]
    finally:
        for sock in held:
            sock.close()


def free_port() -> int:
    return free_ports(1)[0]


@dataclass(frozen=True)
class Running:
    urls: dict[str, str]
    databases: dict[str, str]
    vault_database: str
    mongo_url: str
    kafka_bootstrap: str
    processes: dict[str, Managed]
    env: dict[str, dict[str, str]]

    def start(self, name: str) -> None:
        """(Re)start one service with the environment it had, and wait until it is ready."""
        self.processes[name].start([sys.executable, "-m", f"crm_{name}"], env=self.env[name])
        self.processes[name].wait_until(lambda: ready(self.urls[name]), "ready", timeout_s=60)


@contextmanager
def running_platform(kafka_bootstrap: str, mongo_url: str, state: Path) -> Iterator[Running]:
    run = uuid.uuid4().hex[:8]
    ports = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))
    databases = {name: f"e2e_{run}_{name}" for name in SERVICES}
    env = {
        name: {
            "CRM_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "CRM_MONGO_URL": mongo_url,
            "CRM_DATABASE": databases[name],
            "CRM_VAULT_DATABASE": f"e2e_{run}_vault",
            "CRM_HTTP_PORT": str(ports[name]),
            "CRM_AUTH_JWKS": JWKS,
            "CRM_AUTH_REFRESH_S": "1",  # a revocation takes effect within a second
            "CRM_CONSUMER_GROUP": f"e2e-{run}-projections",
        }
        for name in SERVICES
    }
    for name in ("sales", "support"):
        env[name]["CRM_DEADLINE_INTERVAL_S"] = "1"  # deadlines raised within a second
    env["sales"]["CRM_CREDIT_LIMITS"] = "true"  # the README's examples set one
    # The default policies, a tighter one for businesses' urgent cases, and one whose
    # resolution target passes within seconds, so a breach is raised while a test watches.
    policies = [p.model_dump(mode="json", exclude_none=True) for p in DEFAULT_POLICIES]
    env["support"]["CRM_SLA_POLICIES"] = json.dumps([*policies, BUSINESS_URGENT, URGENT_COMPLAINT])
    platform = Running(
        urls={name: f"http://127.0.0.1:{port}" for name, port in ports.items()},
        databases=databases,
        vault_database=f"e2e_{run}_vault",
        mongo_url=mongo_url,
        kafka_bootstrap=kafka_bootstrap,
        processes={name: Managed(name, state) for name in SERVICES},
        env=env,
    )
    try:
        for name in SERVICES:
            platform.processes[name].start([sys.executable, "-m", f"crm_{name}"], env=env[name])
        for name in SERVICES:
            platform.processes[name].wait_until(
                lambda n=name: ready(platform.urls[n]), "ready", timeout_s=60
            )
        yield platform
    finally:
        for process in platform.processes.values():
            process.stop()


BUSINESS_URGENT = {"name": "business urgent", "priority": "urgent", "customer_type": "business",
                   "first_response_hours": 0.5, "resolution_hours": 4}  # fmt: skip
URGENT_COMPLAINT_S = 20  # its resolution target, in (round-the-clock) working seconds
URGENT_COMPLAINT = {"name": "urgent complaint", "priority": "urgent", "kind": "complaint",
                    "first_response_hours": 0.5, "resolution_hours": URGENT_COMPLAINT_S / 3600}  # fmt: skip


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        time.sleep(0.2)
        return False
