"""HTTP in, 360 view out: every context's first command, through Kafka and the projector."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import httpx
import pytest
from crm_kernel.auth import ALL_SCOPES, issue_token

from tests.support import SECRET, mongo

VIEW_TIMEOUT_S = 30


def token(*scopes: str) -> dict[str, str]:
    value = issue_token(SECRET, "e2e", list(scopes or ALL_SCOPES), timedelta(minutes=30))
    return {"Authorization": f"Bearer {value}"}


def view_when(platform, customer_id: str, ready) -> dict:
    """Poll the 360 view until `ready(view)` holds (bounded)."""
    deadline = time.monotonic() + VIEW_TIMEOUT_S
    last = None
    while time.monotonic() < deadline:
        response = httpx.get(
            f"{platform.urls['projections']}/customers/{customer_id}",
            headers=token("projections:read"),
        )
        if response.status_code == 200:
            last = response.json()
            if ready(last):
                return last
        time.sleep(0.1)
    raise AssertionError(f"360 view of {customer_id} not ready in {VIEW_TIMEOUT_S}s: {last}")


def post(platform, service: str, path: str, body: dict, *scopes: str) -> httpx.Response:
    return httpx.post(
        f"{platform.urls[service]}{path}", json=body, headers=token(*scopes), timeout=10
    )


def register(platform, **fields) -> str:
    body = {
        "name": "Ana García",
        "email": "Ana.Garcia@Example.com",
        "phone": "+34 612 345 678",
        **fields,
    }
    response = post(platform, "contacts", "/customers", body, "contacts:write")
    assert response.status_code == 201, response.text
    return response.json()["customer_id"]


def test_registering_a_customer_shows_in_the_360_view(platform) -> None:
    customer = register(platform, customer_type="business", kind="organisation")
    view = view_when(platform, customer, lambda v: len(v["contact"]["points"]) == 2)
    values = {p["kind"]: p["value"] for p in view["contact"]["points"]}
    assert values == {"email": "ana.garcia@example.com", "mobile": "+34612345678"}  # normalised
    assert view["profile"]["customer_type"] == "business"


def test_an_order_shows_in_the_360_view(platform) -> None:
    customer = register(platform)
    response = post(
        platform,
        "sales",
        "/orders",
        {
            "customer_id": customer,
            "currency": "EUR",
            "payment_method": "card",
            "lines": [{"sku": "LAMP-1", "quantity": 2, "unit_price": "19.95"}],
        },
        "sales:write",
    )
    assert response.status_code == 201, response.text
    view = view_when(platform, customer, lambda v: v["sales"]["orders_count"] == 1)
    assert view["sales"]["revenue_by_currency"] == {"EUR": "39.90"}
    assert view["sales"]["products"] == ["LAMP-1"]


def test_a_campaign_response_shows_in_the_360_view(platform) -> None:
    customer = register(platform)
    campaign = str(uuid.uuid4())
    response = post(
        platform,
        "campaigns",
        f"/campaigns/{campaign}/responses",
        {"customer_id": customer, "response": "converted", "channel": "email"},
        "campaigns:write",
    )
    assert response.status_code == 201, response.text
    view = view_when(platform, customer, lambda v: v["marketing"]["conversions"] == 1)
    assert view["marketing"]["campaigns"] == [campaign]


def test_a_support_case_shows_in_the_360_view(platform) -> None:
    customer = register(platform)
    response = post(
        platform,
        "support",
        "/cases",
        {
            "customer_id": customer,
            "kind": "complaint",
            "subject": "Broken lamp",
            "description": "Arrived broken",
        },
        "support:write",
    )
    assert response.status_code == 201, response.text
    view = view_when(platform, customer, lambda v: v["support"]["open_cases"] == 1)
    assert view["support"]["complaints"] == 1
    assert view["support"]["cases"][0]["subject"] == "Broken lamp"


async def count_events(platform, service: str) -> int:
    client = mongo(platform)
    try:
        commits = client[platform.databases[service]]["events"]
        return sum([len(c["events"]) async for c in commits.find({})])
    finally:
        await client.close()


async def test_twenty_concurrent_registrations_of_one_customer_let_one_through(platform) -> None:
    customer = str(uuid.uuid4())
    body = {"customer_id": customer, "name": "Racy"}
    async with httpx.AsyncClient(headers=token("contacts:write"), timeout=20) as http:
        responses = await asyncio.gather(
            *[http.post(f"{platform.urls['contacts']}/customers", json=body) for _ in range(20)]
        )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 19
    client = mongo(platform)
    commits = (
        await client[platform.databases["contacts"]]["events"]
        .find({"stream_id": f"customer-{customer}"})
        .to_list()
    )
    await client.close()
    assert [c["version_from"] for c in commits] == [1]


@pytest.mark.parametrize(
    ("service", "path", "body", "scope", "field"),
    [
        (
            "contacts",
            "/customers",
            {"name": "X", "email": "not-an-email"},
            "contacts:write",
            "email",
        ),
        ("contacts", "/customers", {"name": "X", "phone": "12345"}, "contacts:write", "phone"),
        ("contacts", "/customers", {"email": "a@b.es"}, "contacts:write", "name"),
        (
            "contacts",
            "/customers",
            {"name": "X", "customer_type": "alien"},
            "contacts:write",
            "customer_type",
        ),
        (
            "sales",
            "/orders",
            {
                "customer_id": "nope",
                "currency": "EUR",
                "lines": [{"sku": "A", "quantity": 1, "unit_price": "1"}],
            },
            "sales:write",
            "customer_id",
        ),
        (
            "sales",
            "/orders",
            {
                "customer_id": str(uuid.uuid4()),
                "currency": "EUR",
                "lines": [{"sku": "A", "quantity": 0, "unit_price": "1"}],
            },
            "sales:write",
            "quantity",
        ),
        (
            "sales",
            "/orders",
            {
                "customer_id": str(uuid.uuid4()),
                "currency": "euro",
                "lines": [{"sku": "A", "quantity": 1, "unit_price": "1"}],
            },
            "sales:write",
            "currency",
        ),
        (
            "support",
            "/cases",
            {"customer_id": str(uuid.uuid4()), "kind": "question"},
            "support:write",
            "subject",
        ),
    ],
)
async def test_invalid_input_gets_422_with_the_field_and_appends_nothing(
    platform, service, path, body, scope, field
) -> None:
    before = await count_events(platform, service)
    response = post(platform, service, path, body, scope)
    assert response.status_code == 422, response.text
    locations = [e["loc"] for e in response.json()["detail"]]
    assert any(field in loc for loc in locations), locations
    assert all(e["msg"] for e in response.json()["detail"])
    assert await count_events(platform, service) == before


def test_requests_without_a_valid_token_get_401_and_without_the_scope_403(platform) -> None:
    url = f"{platform.urls['contacts']}/customers"
    body = {"name": "Nobody"}
    assert httpx.post(url, json=body).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    response = httpx.post(url, json=body, headers=bad)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert httpx.post(url, json=body, headers=token("sales:write")).status_code == 403
    view = f"{platform.urls['projections']}/customers/{uuid.uuid4()}"
    assert httpx.get(view).status_code == 401
    assert httpx.get(view, headers=token("contacts:write")).status_code == 403
    assert httpx.get(view, headers=token("projections:read")).status_code == 404


def test_health_and_metrics_answer_without_a_token(platform) -> None:
    for url in platform.urls.values():
        assert httpx.get(f"{url}/health/live").status_code == 200
        assert httpx.get(f"{url}/health/ready").status_code == 200
        assert "crm_" in httpx.get(f"{url}/metrics").text
