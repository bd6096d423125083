"""The leads' HTTP API in process, on in-memory fakes: each route translates its request into
its command, answers where the events landed, and refuses bad input (422, field by field) and
illegal moves (409, naming the rule) with nothing appended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from crm_kernel.privacy import PREFIX
from crm_sales.application.lead_capture import LeadCapture
from crm_sales.bootstrap import create_service
from crm_sales.domain.lead import DEFAULT_DISQUALIFICATION_REASONS, lead_decider, prospect_id_of
from crm_sales.entrypoints.leads import router
from crm_sales.settings import SalesSettings
from fastapi.testclient import TestClient

from tests.fakes import InMemoryEventStore
from tests.support import JWKS
from tests.unit.kernel.test_request_bodies import refused, service
from tests.unit.sales.fakes import InMemoryLeadIndex


@pytest.fixture
def api() -> Any:
    client, store = service(router, "sales", lead_decider)
    client.app.state.lead_disqualification_reasons = DEFAULT_DISQUALIFICATION_REASONS
    leads = client.app.state.handlers.of(lead_decider)
    client.app.state.lead_capture = LeadCapture(leads, InMemoryLeadIndex())
    with client:
        yield client, store


def lead(**fields: Any) -> dict[str, Any]:
    return {
        "person_name": "Ana Ruiz",
        "company_name": "Lámparas Ruiz SL",
        "email": "ana@ruiz.example",
        "phone": "+34 600 000 001",
        "product_interest": "40 desk lamps",
        "estimated_value": "2400.00",
        "currency": "EUR",
        "channel": "trade_fair",
        "notes": "Met at the fair",
        **fields,
    }


def capture(client: TestClient, **fields: Any) -> str:
    answer = client.post("/leads", json=lead(**fields))
    assert answer.status_code == 201, answer.text
    lead_id: str = answer.json()["lead_id"]
    return lead_id


def types(store: InMemoryEventStore) -> list[str]:
    return [e.type.split(".")[2] for c in store.commits for e in c.events]


def test_a_lead_is_captured_assigned_worked_and_qualified(api: Any) -> None:
    client, store = api
    lead_id = str(uuid4())
    answer = client.post("/leads", json=lead(lead_id=lead_id))
    assert answer.status_code == 201, answer.text
    assert answer.json()["lead_id"] == lead_id
    assert answer.json()["customer_id"] == prospect_id_of(lead_id)
    assert answer.json()["stream_id"] == f"lead-{lead_id}"
    base = f"/leads/{lead_id}"
    assert client.put(f"{base}/owner", json={"owner": "marta"}).json()["version"] == 2
    assert client.post(f"{base}/work", json={}).json()["version"] == 3
    qualified = client.post(f"{base}/qualification", json={})
    assert qualified.status_code == 200 and qualified.json()["version"] == 4
    again = client.post(f"{base}/qualification", json={})  # a retry records nothing
    assert again.status_code == 200 and again.json()["event_ids"] == []
    assert types(store) == ["LeadCaptured", "LeadAssigned", "LeadWorkStarted", "LeadQualified"]
    assert {e.customer_id for c in store.commits for e in c.events} == {prospect_id_of(lead_id)}


def test_a_lead_is_disqualified_for_a_listed_reason_and_recycled(api: Any) -> None:
    client, store = api
    lead_id = capture(client, owner="marta")
    base = f"/leads/{lead_id}"
    answer = client.post(
        f"{base}/disqualification", json={"reason": "No Budget", "note": "frozen until Q3"}
    )
    assert answer.status_code == 200, answer.text
    assert client.post(f"{base}/recycling", json={}).status_code == 200
    assert client.post(f"{base}/qualification", json={}).status_code == 200
    assert types(store) == ["LeadCaptured", "LeadDisqualified", "LeadRecycled", "LeadQualified"]
    disqualified = store.commits[1].events[0]
    assert disqualified.data["reason"] == "no budget"


def test_personal_fields_are_stored_sealed_and_the_rest_in_clear(api: Any) -> None:
    client, store = api
    capture(client, owner="marta")
    [[captured]] = [c.events for c in store.commits]
    for field in ("person_name", "company_name", "email", "phone", "product_interest", "notes"):
        assert captured.data[field].startswith(PREFIX), field
    assert (captured.data["channel"], captured.data["owner"]) == ("trade_fair", "marta")
    assert captured.data["estimated_value"] == "2400.00"


def test_a_lead_captured_after_the_fact_carries_when_it_came_in(api: Any) -> None:
    client, store = api
    capture(client, occurred_at="2026-03-05T10:00:00+01:00")
    assert store.commits[0].events[0].occurred_at == datetime(2026, 3, 5, 9, tzinfo=UTC)
    assert "occurred_at" not in store.commits[0].events[0].data
    ahead = (datetime.now(UTC) + timedelta(seconds=400)).isoformat()
    refused(client.post("/leads", json=lead(occurred_at=ahead)), "occurred_at")
    lead_id = capture(client)
    answer = client.put(
        f"/leads/{lead_id}/owner", json={"owner": "marta", "occurred_at": "2026-03-06T08:00:00Z"}
    )
    assert answer.status_code == 200, answer.text
    assert store.commits[-1].events[0].occurred_at == datetime(2026, 3, 6, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"chanel": "web_form"}, "chanel"),
        ({"channel": "fax"}, "channel"),
        ({"person_name": "x" * 201}, "person_name"),
        ({"person_name": "Ana\u202eRuiz"}, "person_name"),
        ({"email": "x" * 255}, "email"),
        ({"phone": "1" * 41}, "phone"),
        ({"notes": "x" * 10_001}, "notes"),
        ({"product_interest": ""}, "product_interest"),
        ({"owner": "x" * 101}, "owner"),
        ({"estimated_value": "1000000000000.01"}, "estimated_value"),
        ({"estimated_value": "-1"}, "estimated_value"),
        ({"estimated_value": 10**20}, "estimated_value"),
        ({"currency": "euro"}, "currency"),
        ({"campaign_id": "spring"}, "campaign_id"),
        ({"person_name": None, "company_name": None}, "person_name"),
        ({"company_name": "   "}, "company_name"),
        ({"currency": None}, "currency"),
        ({"occurred_at": 0}, "occurred_at"),
        ({"email": "ana at ruiz"}, "email"),  # normalised on capture (ADR 28)
        ({"phone": "600 000 001"}, "phone"),  # no country code
    ],
)
def test_a_bad_capture_is_422_naming_the_field_and_appends_nothing(
    api: Any, fields: dict[str, Any], loc: str
) -> None:
    client, store = api
    refused(client.post("/leads", json=lead(**fields)), loc)
    assert store.commits == []


def test_bad_values_on_a_lead_are_422_naming_the_field_and_append_nothing(api: Any) -> None:
    client, store = api
    base = f"/leads/{capture(client, owner='marta')}"
    refused(client.put(f"{base}/owner", json={"owner": ""}), "owner")
    refused(client.put(f"{base}/owner", json={"owner": "ana", "boss": "x"}), "boss")
    refused(client.post(f"{base}/work", json={"now": True}), "now")
    errors = refused(client.post(f"{base}/disqualification", json={"reason": "meh"}), "reason")
    assert "one of: too expensive, no budget, no need" in errors[0]["msg"]
    refused(client.post(f"{base}/disqualification", json={}), "reason")
    refused(
        client.post(f"{base}/disqualification", json={"reason": "other", "note": "x" * 2001}),
        "note",
    )
    assert len(store.commits) == 1  # the capture alone


def test_an_illegal_move_is_409_naming_the_rule_and_appends_nothing(api: Any) -> None:
    client, store = api
    base = f"/leads/{capture(client)}"
    answer = client.post(f"{base}/qualification", json={})
    assert answer.status_code == 409, answer.text
    assert "is new: only a lead being worked is qualified" in answer.json()["detail"][0]["msg"]
    for step in ("work", "recycling"):
        assert client.post(f"{base}/{step}", json={}).status_code == 409
    assert len(store.commits) == 1


def test_a_lead_never_captured_is_404(api: Any) -> None:
    client, store = api
    answer = client.put(f"/leads/{uuid4()}/owner", json={"owner": "marta"})
    assert answer.status_code == 404 and "capture it first" in answer.text
    assert client.post(f"/leads/{uuid4()}/work", json={}).status_code == 404
    assert store.commits == []


def test_a_lead_whose_customer_id_was_erased_is_410(api: Any) -> None:
    client, store = api
    lead_id = str(uuid4())
    client.app.state.handlers.keys.erased.add(prospect_id_of(lead_id))
    assert client.post("/leads", json=lead(lead_id=lead_id)).status_code == 410
    assert store.commits == []


def test_the_service_takes_its_reasons_from_its_settings() -> None:
    own = SalesSettings(
        auth_jwks=JWKS,
        mongo_url="mongodb://127.0.0.1:1/",
        lead_disqualification_reasons=("bad fit", "spam"),
    )
    assert create_service(own).app.state.lead_disqualification_reasons == ("bad fit", "spam")
    assert SalesSettings(auth_jwks=JWKS).lead_disqualification_reasons == (
        DEFAULT_DISQUALIFICATION_REASONS
    )


def test_reasons_come_from_the_environment_as_a_json_list(monkeypatch: Any) -> None:
    monkeypatch.setenv("CRM_LEAD_DISQUALIFICATION_REASONS", '["bad fit", "spam"]')
    assert SalesSettings(auth_jwks=JWKS).lead_disqualification_reasons == ("bad fit", "spam")


def test_a_capture_answers_its_possible_duplicates_and_records_them(api: Any) -> None:
    client, store = api
    first = capture(client, email="Ana.Ruiz@Ruiz.example", phone="+34 600 000 009")
    answer = client.post("/leads", json=lead(email="ana.ruiz@ruiz.example", phone=None))
    assert answer.status_code == 201, answer.text
    assert answer.json()["possible_duplicates"] == [
        {"other": "lead", "other_id": first, "reason": "same_email"}
    ]
    assert len(answer.json()["event_ids"]) == 2 and answer.json()["version"] == 2
    assert types(store)[-2:] == ["LeadCaptured", "LeadPossibleDuplicateFound"]
    alone = client.post("/leads", json=lead(email="other@ruiz.example", phone=None))
    assert alone.json()["possible_duplicates"] == []
