"""All five services as separate processes, on the test infrastructure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.processes import Running, running_platform


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def platform(infra, tmp_path_factory) -> Iterator[Running]:
    with running_platform(
        infra.kafka_bootstrap, infra.mongo_url, tmp_path_factory.mktemp("platform")
    ) as running:
        yield running
