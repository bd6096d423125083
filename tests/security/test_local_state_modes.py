"""The local profile's state is its owner's alone (issue 10): the state directory is 0700 from
creation, the token signing keys 0600 from their first byte, and what the store and broker write
(SQLite files, Kafka logs) is created under a 077 umask."""

from __future__ import annotations

import json
import os
import stat
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from crm_local.infra import InfraSettings
from crm_local.keys import JWKS_FILE, KEYS_FILE, rotate, signing_keys
from crm_local.processes import Managed


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_signing_keys_and_their_directory_are_private_from_creation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "profile"
    created: list[int] = []
    real_open = os.open

    def recording_open(path: Any, flags: int, mode: int = 0o777) -> int:
        if str(path).endswith(KEYS_FILE) or str(path).endswith(KEYS_FILE + ".new"):
            created.append(mode)
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", recording_open)
    settings = InfraSettings(state_dir=state)
    [key] = signing_keys(settings)
    assert mode(state) == 0o700
    assert mode(state / KEYS_FILE) == 0o600 and created == [0o600]
    [again] = signing_keys(settings, create=False)  # made once per profile
    assert again.private_jwk() == key.private_jwk()
    rotated = rotate(settings, timedelta(days=30), now=time.time())
    assert [k.kid for k in signing_keys(settings)] == [rotated.kid, key.kid]
    assert mode(state / KEYS_FILE) == 0o600 and created == [0o600, 0o600]
    public = json.loads((state / JWKS_FILE).read_text())
    assert [k["kid"] for k in public["keys"]] == [rotated.kid, key.kid]
    assert not any("d" in k for k in public["keys"])  # the services' file: public keys only


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
