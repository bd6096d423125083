"""docs/adding-a-command.md lists the files its worked example touched: the source files that
name `AssignCase` or `CaseAssigned` must be exactly that list, so the doc stays true, and the
example stays within its context and one projections section (and the history a rebuild is
compared with live over, which every event joins)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "adding-a-command.md"
NAMES = re.compile(r"\b(AssignCase|CaseAssigned)\b")
SOURCES = ("services", "shared", "deploy", "tests", "bench")
REBUILD_HISTORY = "tests/integration/test_rebuild.py"


def listed() -> set[str]:
    section = DOC.read_text().split("## The files this example touched", 1)[1]
    return set(re.findall(r"^- `([^`]+)`", section, flags=re.MULTILINE))


def naming_the_example() -> set[str]:
    return {
        str(path.relative_to(ROOT))
        for top in SOURCES
        for path in (ROOT / top).rglob("*.py")
        if ".venv" not in path.parts and NAMES.search(path.read_text())
    } - {str(Path(__file__).relative_to(ROOT))}


def test_the_docs_file_list_is_what_names_the_example() -> None:
    assert listed() == naming_the_example()


def test_the_example_touches_support_one_projections_section_and_the_rebuild_history() -> None:
    outside = {
        path
        for path in listed()
        if not path.startswith(("services/support/", "tests/unit/support/"))
        and path
        not in (
            "services/projections/src/crm_projections/domain/customer_360/support.py",
            REBUILD_HISTORY,
            # Later read models of the same context's events (the doc says which).
            "services/projections/src/crm_projections/domain/service_levels.py",
            "tests/unit/projections/test_service_levels.py",
        )
    }
    assert outside == set()
