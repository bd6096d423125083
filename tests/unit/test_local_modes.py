"""The local profile's state is its owner's alone (issue 10): the state directory is 0700 from
creation, the token secret 0600 from its first byte, and what the store and broker write
(SQLite files, Kafka logs) is created under a 077 umask."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest
from crm_local.infra import InfraSettings
from crm_local.platform import auth_secret
from crm_local.processes import Managed


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_secret_and_its_directory_are_private_from_creation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_AUTH_SECRET", raising=False)
    state = tmp_path / "profile"
    auth_secret(InfraSettings(state_dir=state))
    assert mode(state) == 0o700
    assert mode(state / "auth-secret") == 0o600


def test_files_the_managed_processes_write_are_private(tmp_path: Path) -> None:
    state = tmp_path / "profile"
    written = tmp_path / "data-file"
    process = Managed("writer", state)
    process.start(["sh", "-c", f"echo x > {written}"])
    deadline = time.monotonic() + 10
    while not written.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mode(state) == 0o700 and mode(state / "logs") == 0o700
    assert mode(written) == 0o600
