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
    assert events["crm.support.CaseOpened.v2"]["personal_data"] == ["subject", "description"]
    schema = events["crm.contacts.CustomerRegistered.v1"]["schema"]
    assert schema["properties"]["email"]["x-personal-data"] is True


# Names that hold free text wherever they appear: such a field is personal data, whatever
# its event (a subject or an outcome can name a person as easily as a note can).
FREE_TEXT = {
    "body", "comment", "description", "detail", "location", "message", "note", "notes",
    "outcome", "reason", "reply", "review", "subject", "summary", "text", "title",
}  # fmt: skip
# Free texts kept in clear on purpose, each with why.
CLEAR_ON_PURPOSE = {
    # Why the customer was erased must outlive the erasure in the audit trail; the request
    # asks for a role or ticket reference, not the customer's data (docs/security.md).
    ("crm.contacts.CustomerErased.v1", "reason"),
    ("crm.sales.LeadErased.v1", "reason"),
    # One of the configured list (CRM_LEAD_DISQUALIFICATION_REASONS), checked by the decider:
    # a label, not free text; the free note beside it is personal.
    ("crm.sales.LeadDisqualified.v1", "reason"),
    # Likewise one of CRM_OPPORTUNITY_LOST_REASONS; its note is personal.
    ("crm.sales.OpportunityLost.v1", "reason"),
    # Likewise one of CRM_QUOTE_REJECTION_REASONS; its note is personal.
    ("crm.sales.QuoteRejected.v1", "reason"),
    # One of CRM_ORDER_CANCELLATION_REASONS and CRM_RETURN_REASONS: codes, with no note beside.
    ("crm.sales.OrderCancelled.v1", "reason"),
    ("crm.sales.OrderLineReturned.v1", "reason"),
    # One of CRM_CREDIT_NOTE_REASONS (a refund's too): a code.
    ("crm.sales.CreditNoteIssued.v1", "reason"),
    # One of CRM_CASE_REJECTION_REASONS: a code.
    ("crm.support.CaseRejected.v1", "reason"),
    # One of CRM_RETURN_REASONS (a request's, its receipt's) or CRM_RETURN_REFUSAL_REASONS.
    ("crm.support.ReturnRequested.v1", "reason"),
    ("crm.support.ReturnRefused.v1", "reason"),
    ("crm.support.ReturnReceived.v1", "reason"),
}


def test_every_free_text_field_of_every_event_is_personal_data() -> None:
    from crm_kernel.domain.events import REGISTRY, personal_fields

    types = [e["type"] for e in catalogue.catalogue()["events"]]  # every context's, loaded
    assert len(types) > 30
    clear = set()
    for event in map(REGISTRY.get, types):
        personal = set(personal_fields(event))
        for name, info in event.model_fields.items():
            free = name in FREE_TEXT and info.annotation in (str, str | None)
            if free and name not in personal and (event.event_type, name) not in CLEAR_ON_PURPOSE:
                clear.add(f"{event.event_type}.{name}")
    assert clear == set(), "free text must be PersonalStr (or listed in CLEAR_ON_PURPOSE)"
