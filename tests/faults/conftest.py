"""Fault tests kill and freeze real processes, so they run on a broker and a store of their
own, never on the session's: the other tiers go on undisturbed. Each test leaves both
running as it found them."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass

import psutil
import pytest
from crm_local.infra import FerretDB, Infra, InfraSettings, Kafka

from tests.processes import free_ports


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.faults)


@dataclass(frozen=True)
class OwnInfra:
    settings: InfraSettings

    @property
    def kafka_bootstrap(self) -> str:
        return self.settings.kafka_bootstrap

    @property
    def mongo_url(self) -> str:
        return self.settings.mongo_url

    def kill_broker(self) -> None:
        """kill -9: no clean shutdown, as when a machine dies."""
        pid = Kafka(self.settings).process.pid()
        assert pid is not None, "the broker is not running"
        process = psutil.Process(pid)
        process.kill()
        process.wait(timeout=10)  # reaps it too: the launcher may start a new one at once

    def start_broker(self) -> None:
        Kafka(self.settings).up()

    def freeze_store(self) -> None:
        self.signal_store(signal.SIGSTOP)

    def thaw_store(self) -> None:
        self.signal_store(signal.SIGCONT)

    def signal_store(self, which: signal.Signals) -> None:
        pid = FerretDB(self.settings).process.pid()
        assert pid is not None, "the store is not running"
        os.kill(pid, which)


@pytest.fixture(scope="session")
def own_infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnInfra]:
    kafka_port, controller_port, mongo_port = free_ports(3)
    settings = InfraSettings(
        state_dir=tmp_path_factory.mktemp("fault-infra"),
        kafka_port=kafka_port,
        kafka_controller_port=controller_port,
        mongo_port=mongo_port,
    )
    infra = Infra(settings)
    infra.up()
    own = OwnInfra(settings)
    try:
        yield own
    finally:
        with_store = FerretDB(settings).process.pid()
        if with_store is not None:
            os.kill(with_store, signal.SIGCONT)  # a frozen process cannot stop cleanly
        infra.down()
