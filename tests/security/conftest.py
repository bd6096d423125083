"""The security tier (issue 10): each finding of the security probe is a test here, against
the kernel's HTTP shell where that is enough and against the running platform (the session's
`platform`, shared with the e2e tier) where the finding needs the real services."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/security/" in str(item.fspath):
            item.add_marker(pytest.mark.security)
