"""Test infrastructure, picked in this order: addresses in the environment
(CRM_TEST_KAFKA_BOOTSTRAP and CRM_TEST_MONGO_URL), testcontainers where a Docker
engine answers, else the local launcher (Kafka jars + FerretDB) on free ports."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import Running, free_ports, running_platform


@dataclass(frozen=True)
class InfraAddresses:
    kafka_bootstrap: str
    mongo_url: str
    how: str


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfraAddresses]:
    if os.environ.get("CRM_TEST_KAFKA_BOOTSTRAP") and os.environ.get("CRM_TEST_MONGO_URL"):
        yield InfraAddresses(
            os.environ["CRM_TEST_KAFKA_BOOTSTRAP"], os.environ["CRM_TEST_MONGO_URL"], "environment"
        )
        return
    if _docker_answers():
        from testcontainers.kafka import KafkaContainer
        from testcontainers.mongodb import MongoDbContainer

        with KafkaContainer().with_kraft() as kafka, MongoDbContainer("mongo:7") as mongo:
            yield InfraAddresses(
                kafka.get_bootstrap_server(), mongo.get_connection_url(), "testcontainers"
            )
        return
    from crm_local.infra import Infra, InfraSettings

    kafka_port, controller_port, mongo_port = free_ports(3)
    settings = InfraSettings(
        state_dir=Path(tmp_path_factory.mktemp("infra")),
        kafka_port=kafka_port,
        kafka_controller_port=controller_port,
        mongo_port=mongo_port,
    )
    infra = Infra(settings)
    infra.up()
    try:
        yield InfraAddresses(settings.kafka_bootstrap, settings.mongo_url, "local launcher")
    finally:
        infra.down()


@pytest.hookimpl(trylast=True)  # after the tiers' marker hooks and pytest-randomly's shuffle
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests of a module with `RUNS_LAST` go after every other test: the rebuild-equals-live
    check compares the history all the others made (tests/e2e/test_rebuild_equals_live.py)."""
    last = [item for item in items if getattr(getattr(item, "module", None), "RUNS_LAST", False)]
    if last:
        items[:] = [item for item in items if item not in last] + last


@pytest.fixture
def unique() -> str:
    """A short unique suffix, so tests sharing one broker and store never collide."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def platform(infra: InfraAddresses, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """All five services as separate processes on the session's infrastructure, shared by the
    e2e and security tiers."""
    with running_platform(
        infra.kafka_bootstrap, infra.mongo_url, tmp_path_factory.mktemp("platform")
    ) as running:
        yield running
