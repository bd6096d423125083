"""Architecture rules: services never import each other; domain modules do no I/O;
the checked-in event catalogue matches the code."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from crm_local import catalogue

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold() -> None:
    lint_imports = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_event_catalogue_is_not_stale() -> None:
    stale = catalogue.stale(ROOT)
    assert stale == [], f"run `uv run crm catalogue write`: {stale}"


def test_every_event_marks_its_personal_data() -> None:
    events = {e["type"]: e for e in catalogue.catalogue()["events"]}
    assert events["crm.contacts.CustomerRegistered.v1"]["personal_data"] == [
        "name",
        "email",
        "phone",
    ]
    assert events["crm.support.CaseOpened.v1"]["personal_data"] == ["description"]
    schema = events["crm.contacts.CustomerRegistered.v1"]["schema"]
    assert schema["properties"]["email"]["x-personal-data"] is True
