"""Local infrastructure without Docker: Apache Kafka (KRaft) from Maven Central jars and
FerretDB 1.x (SQLite) built through the Go module proxy. Downloads and builds are cached
outside the repo; data and logs live in a state directory per profile."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from rich.console import Console

from crm_local.processes import LauncherError, Managed, ensure_port_free, port_open

KAFKA_VERSION = "4.4.0"
FERRETDB_VERSION = "v1.24.2"
HOST = "127.0.0.1"

console = Console(stderr=True)


class InfraSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_INFRA_", extra="ignore")

    cache_dir: Path = Field(default=Path.home() / ".cache" / "crm")
    state_dir: Path = Field(default=Path.home() / ".cache" / "crm" / "local")
    kafka_port: int = 19092
    kafka_controller_port: int = 19093
    mongo_port: int = 27018
    kafka_heap: str = "512m"
    # The local broker shares a small machine with every service: the C1 compiler alone and a
    # serial collector keep the JVM from spending whole cores on compiling and collecting
    # (measured: broker CPU 36% -> 20% at 100 commands/s, ADR 8). Production brokers keep
    # the JVM's defaults.
    kafka_jvm_options: str = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1"
    partitions: int = 3

    @property
    def kafka_bootstrap(self) -> str:
        return f"{HOST}:{self.kafka_port}"

    @property
    def mongo_url(self) -> str:
        return f"mongodb://{HOST}:{self.mongo_port}/"


def _asset(*parts: str) -> Path:
    return Path(str(resources.files("crm_local").joinpath("assets", *parts)))


def _require(tool: str, hint: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise LauncherError(f"{tool} not found on PATH: {hint}")
    return found


def _run(argv: list[str], what: str, cwd: Path | None = None) -> None:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip().splitlines()[-5:]
        raise LauncherError(f"{what} failed ({' '.join(argv[:3])}...): {' | '.join(tail)}")


PATCH = "id_index.patch.json"


def _vendor_patched(go: str, build: Path) -> None:
    """Vendor FerretDB's dependencies into the build directory and apply our small patch
    there (ADR 8): the module cache stays pristine and checksummed, and the build fails loudly
    if a patched passage has moved in another FerretDB version."""
    patch = json.loads(_asset("ferretdb", PATCH).read_text())
    _run([go, "mod", "vendor"], "vendoring FerretDB's sources", cwd=build)
    for edit in patch["edits"]:
        source = build / "vendor" / patch["module"] / edit["file"]
        text = source.read_text()
        if text.count(edit["old"]) != 1:
            raise LauncherError(
                f"FerretDB patch {PATCH} no longer applies to {source}: "
                "update the patch for this FerretDB version (see ADR 8)"
            )
        source.write_text(text.replace(edit["old"], edit["new"]))


@dataclass(frozen=True)
class Kafka:
    settings: InfraSettings

    @property
    def process(self) -> Managed:
        return Managed("kafka", self.settings.state_dir)

    @property
    def libs(self) -> Path:
        return self.settings.cache_dir / f"kafka-{KAFKA_VERSION}" / "libs"

    @property
    def data_dir(self) -> Path:
        return self.settings.state_dir / "data" / "kafka"

    def install(self) -> None:
        if (self.libs / f"kafka_2.13-{KAFKA_VERSION}.jar").exists():
            return
        mvn = _require("mvn", "install Maven (apt-get install maven) to fetch the Kafka jars")
        _require("java", "install Java 17+ (apt-get install openjdk-17-jre-headless)")
        with console.status(f"Fetching Apache Kafka {KAFKA_VERSION} jars from Maven Central..."):
            staging = self.libs.with_name("libs.partial")
            shutil.rmtree(staging, ignore_errors=True)
            _run(
                [
                    mvn,
                    "-q",
                    "-B",
                    "-f",
                    str(_asset("kafka", "pom.xml")),
                    "dependency:copy-dependencies",
                    f"-DoutputDirectory={staging}",
                    "-DincludeScope=runtime",
                ],
                "fetching the Kafka jars",
            )
            shutil.rmtree(self.libs, ignore_errors=True)
            staging.rename(self.libs)

    def _properties(self) -> Path:
        s = self.settings
        path = s.state_dir / "config" / "kafka.properties"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@{HOST}:{s.kafka_controller_port}",
                    f"listeners=PLAINTEXT://{HOST}:{s.kafka_port},CONTROLLER://{HOST}:{s.kafka_controller_port}",
                    f"advertised.listeners=PLAINTEXT://{HOST}:{s.kafka_port}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    "inter.broker.listener.name=PLAINTEXT",
                    f"log.dirs={self.data_dir}",
                    f"num.partitions={s.partitions}",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=3",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=false",
                    "",
                ]
            )
        )
        return path

    def _java(self, main: str, *args: str) -> list[str]:
        java = _require("java", "install Java 17+ (apt-get install openjdk-17-jre-headless)")
        return [
            java,
            f"-Xmx{self.settings.kafka_heap}",
            "-Xms128m",
            *self.settings.kafka_jvm_options.split(),
            f"-Dlog4j2.configurationFile={_asset('kafka', 'log4j2.properties')}",
            "-cp",
            f"{self.libs}/*",
            main,
            *args,
        ]

    def up(self) -> None:
        if self.process.pid() is not None:
            console.print(f"Kafka already running on {self.settings.kafka_bootstrap}")
            return
        ensure_port_free(HOST, self.settings.kafka_port, "CRM_INFRA_KAFKA_PORT")
        ensure_port_free(
            HOST, self.settings.kafka_controller_port, "CRM_INFRA_KAFKA_CONTROLLER_PORT"
        )
        self.install()
        config = self._properties()
        if not (self.data_dir / "meta.properties").exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            _run(
                self._java(
                    "kafka.tools.StorageTool", "format", "-t", str(uuid.uuid4()), "-c", str(config)
                ),
                "formatting the Kafka storage",
            )
        self.process.start(self._java("kafka.Kafka", str(config)))
        with console.status(f"Waiting for Kafka on {self.settings.kafka_bootstrap}..."):
            self.process.wait_until(self._ready, "ready", timeout_s=90)
        console.print(f"Kafka {KAFKA_VERSION} ready on {self.settings.kafka_bootstrap}")

    def _ready(self) -> bool:
        if not port_open(HOST, self.settings.kafka_port):
            return False
        return asyncio.run(_kafka_answers(self.settings.kafka_bootstrap))


async def _kafka_answers(bootstrap: str) -> bool:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        await admin.start()
        await admin.list_topics()
        return True
    except Exception:
        return False
    finally:
        await admin.close()


@dataclass(frozen=True)
class FerretDB:
    settings: InfraSettings

    @property
    def process(self) -> Managed:
        return Managed("ferretdb", self.settings.state_dir)

    @property
    def binary(self) -> Path:
        # Named after the sources too, so a change to main.go or the patch builds a new binary.
        digest = hashlib.sha256()
        for name in ("go.mod", "go.sum", "main.go", PATCH):
            digest.update(_asset("ferretdb", name).read_bytes())
        return (
            self.settings.cache_dir
            / "bin"
            / f"ferretdb-{FERRETDB_VERSION}-{digest.hexdigest()[:8]}"
        )

    def install(self) -> None:
        if self.binary.exists():
            return
        go = _require("go", "install Go 1.22+ to build FerretDB (https://go.dev/doc/install)")
        build = self.settings.cache_dir / "build" / "ferretdb"
        shutil.rmtree(build, ignore_errors=True)
        shutil.copytree(_asset("ferretdb"), build)
        with console.status(f"Building FerretDB {FERRETDB_VERSION} through the Go module proxy..."):
            self.binary.parent.mkdir(parents=True, exist_ok=True)
            _vendor_patched(go, build)
            _run(
                [go, "build", "-mod=vendor", "-o", str(self.binary), "."],
                "building FerretDB",
                cwd=build,
            )

    def up(self) -> None:
        if self.process.pid() is not None:
            console.print(f"FerretDB already running on {self.settings.mongo_url}")
            return
        ensure_port_free(HOST, self.settings.mongo_port, "CRM_INFRA_MONGO_PORT")
        self.install()
        data = self.settings.state_dir / "data" / "ferretdb"
        self.process.start(
            [
                str(self.binary),
                "--listen-addr",
                f"{HOST}:{self.settings.mongo_port}",
                "--sqlite-dir",
                str(data),
            ]
        )
        with console.status(f"Waiting for FerretDB on {self.settings.mongo_url}..."):
            self.process.wait_until(self._ready, "ready", timeout_s=30)
        console.print(f"FerretDB {FERRETDB_VERSION} (SQLite) ready on {self.settings.mongo_url}")

    def _ready(self) -> bool:
        if not port_open(HOST, self.settings.mongo_port):
            return False
        from pymongo import MongoClient

        client: MongoClient[dict[str, Any]] = MongoClient(
            self.settings.mongo_url, serverSelectionTimeoutMS=2000
        )
        with client:
            try:
                client.admin.command("ping")
                return True
            except Exception:
                return False


@dataclass(frozen=True)
class Infra:
    settings: InfraSettings

    @property
    def parts(self) -> tuple[Kafka, FerretDB]:
        return Kafka(self.settings), FerretDB(self.settings)

    def up(self) -> None:
        for part in self.parts:
            part.up()

    def down(self) -> None:
        for part in reversed(self.parts):
            if part.process.stop():
                console.print(f"stopped {part.process.name}")

    def status(self) -> dict[str, int | None]:
        return {part.process.name: part.process.pid() for part in self.parts}

    def wipe(self) -> None:
        """Delete the profile's data (the cached downloads stay)."""
        if any(pid is not None for pid in self.status().values()):
            raise LauncherError("infra is running: run `crm infra down` first")
        shutil.rmtree(self.settings.state_dir / "data", ignore_errors=True)
