"""The whole platform as local processes: infra, then the five services."""

from __future__ import annotations

import os
import secrets
import sys
import time
from dataclasses import dataclass

import httpx
from crm_kernel.settings import DEFAULT_PORTS

from crm_local.infra import HOST, Infra, InfraSettings, console
from crm_local.processes import LauncherError, Managed, ensure_port_free, private_dir

SERVICES = tuple(DEFAULT_PORTS)


def auth_secret(settings: InfraSettings, create: bool = True) -> str:
    """The local platform's token secret: CRM_AUTH_SECRET, or one made once per profile.
    Without `create`, a profile that has none yet is an error: a token signed with a fresh
    secret would only meet 401s from a platform running on another profile."""
    if os.environ.get("CRM_AUTH_SECRET"):
        return os.environ["CRM_AUTH_SECRET"]
    path = settings.state_dir / "auth-secret"
    if not path.exists() and not create:
        raise LauncherError(
            f"no platform secret in {settings.state_dir}: start the platform first (`make run`), "
            "or set CRM_INFRA_STATE_DIR (or CRM_AUTH_SECRET) to the one the services run with"
        )
    if not path.exists():
        private_dir(path.parent)
        # Created 0600, never readable by others even for a moment.
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            out.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


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
        return {
            "CRM_KAFKA_BOOTSTRAP": self.settings.kafka_bootstrap,
            "CRM_MONGO_URL": self.settings.mongo_url,
            "CRM_HTTP_HOST": HOST,
            "CRM_HTTP_PORT": str(DEFAULT_PORTS[name]),
            "CRM_AUTH_SECRET": auth_secret(self.settings),
            "CRM_TOPIC_PARTITIONS": str(self.settings.partitions),
        }

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
                self.service(name).wait_until(lambda n=name: self._ready(n), "ready", timeout_s=60)
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
