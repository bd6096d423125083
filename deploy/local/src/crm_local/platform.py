"""The whole platform as local processes: infra, then the five services."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from functools import partial

import httpx
from crm_kernel.settings import DEFAULT_PORTS

from crm_local.infra import HOST, Infra, InfraSettings, console
from crm_local.keys import public_key_set_file
from crm_local.processes import LauncherError, Managed, ensure_port_free

SERVICES = tuple(DEFAULT_PORTS)


@dataclass(frozen=True)
class Platform:
    settings: InfraSettings

    @property
    def infra(self) -> Infra:
        return Infra(self.settings)

    def service(self, name: str) -> Managed:
        return Managed(name, self.settings.state_dir)

    def url(self, name: str) -> str:
        return f"http://{HOST}:{DEFAULT_PORTS[name]}"

    def env(self, name: str) -> dict[str, str]:
        env = {
            "CRM_KAFKA_BOOTSTRAP": self.settings.kafka_bootstrap,
            "CRM_MONGO_URL": self.settings.mongo_url,
            "CRM_HTTP_HOST": HOST,
            "CRM_HTTP_PORT": str(DEFAULT_PORTS[name]),
            "CRM_AUTH_JWKS": str(public_key_set_file(self.settings)),
            "CRM_TOPIC_PARTITIONS": str(self.settings.partitions),
        }
        if name == "sales":
            # The local platform keeps credit limits, as the README's examples use them
            # (ADR 41: off by default, for what each order then costs).
            env["CRM_CREDIT_LIMITS"] = os.environ.get("CRM_CREDIT_LIMITS", "true")
        return env

    def up(self) -> None:
        self.infra.up()
        started = []
        for name in SERVICES:
            process = self.service(name)
            if process.pid() is not None:
                continue
            ensure_port_free(
                HOST, DEFAULT_PORTS[name], f"a free port for {name} (see DEFAULT_PORTS)"
            )
            process.start([sys.executable, "-m", f"crm_{name}"], env=self.env(name))
            started.append(name)
        with console.status("Waiting for the services to be ready..."):
            for name in started:
                self.service(name).wait_until(partial(self._ready, name), "ready", timeout_s=60)
        for name in SERVICES:
            console.print(
                f"{name:<12} {self.url(name)}  docs {self.url(name)}/docs  "
                f"log {self.service(name).log_file}"
            )

    def _ready(self, name: str) -> bool:
        try:
            return httpx.get(f"{self.url(name)}/health/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def down(self) -> None:
        for name in reversed(SERVICES):
            if self.service(name).stop():
                console.print(f"stopped {name}")
        self.infra.down()

    def status(self) -> dict[str, int | None]:
        return {**self.infra.status(), **{n: self.service(n).pid() for n in SERVICES}}

    def wait_forever(self) -> None:
        """Block until Ctrl-C, watching that every process stays up."""
        while True:
            dead = [name for name, pid in self.status().items() if pid is None]
            if dead:
                raise LauncherError(
                    f"{', '.join(dead)} stopped: see the logs in {self.settings.state_dir / 'logs'}"
                )
            time.sleep(2)
