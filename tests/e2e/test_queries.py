"""The projections query API: search, pagination, timeline, as-of, read-your-writes, errors."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from tests.e2e.test_walking_skeleton import post, register, token, view_when

READ = "projections:read"


def get(platform, path: str, **params) -> httpx.Response:
    return httpx.get(
        f"{platform.urls['projections']}{path}", params=params, headers=token(READ), timeout=15
    )


def test_search_by_name_email_phone_and_filters(platform) -> None:
    tag = f"t{uuid.uuid4().hex[:8]}"
    ana = register(
        platform,
        name="Ana Belén Ortiz",
        email=f"{tag}@example.com",
        phone="+34 612 000 111",
        customer_type="business",
    )
    other = register(platform, name="Luis Ortiz", email=None, phone=None)
    for customer in (ana, other):
        assert (
            httpx.put(
                f"{platform.urls['contacts']}/customers/{customer}/tags/{tag}",
                headers=token("contacts:write"),
            ).status_code
            == 200
        )
    view_when(platform, other, lambda v: v["profile"] and tag in v["profile"]["tags"])
    view_when(platform, ana, lambda v: v["profile"] and tag in v["profile"]["tags"])

    def ids(**params) -> list[str]:
        response = get(platform, "/customers", **params)
        assert response.status_code == 200, response.text
        return [c["customer_id"] for c in response.json()["items"]]

    assert sorted(ids(tag=tag)) == sorted([ana, other])
    assert ids(tag=tag, name="ortiz belen") == [ana]  # accents and order do not matter
    assert ids(email=f"{tag.upper()}@Example.com") == [ana]
    assert ids(phone="0034 612-000-111".replace("0034", "+34")) == [ana]
    assert ids(tag=tag, customer_type="business") == [ana]
    assert ids(tag=tag, lifecycle="prospect", customer_type="consumer") == [other]


def test_pagination_is_stable_and_complete(platform) -> None:
    tag = f"p{uuid.uuid4().hex[:8]}"
    customers = [register(platform, name=f"Page {n}", email=None, phone=None) for n in range(5)]
    for customer in customers:
        httpx.put(
            f"{platform.urls['contacts']}/customers/{customer}/tags/{tag}",
            headers=token("contacts:write"),
        )
    for customer in customers:
        view_when(platform, customer, lambda v: v["profile"] and tag in v["profile"]["tags"])
    seen, cursor = [], None
    while True:
        params = {"tag": tag, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = get(platform, "/customers", **params).json()
        seen += [c["customer_id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(customers)


def test_the_timeline_lists_every_event_with_actor_and_filters(platform) -> None:
    customer = register(platform, email=None, phone=None)
    post(
        platform,
        "sales",
        "/orders",
        {
            "customer_id": customer,
            "currency": "EUR",
            "lines": [{"sku": "A", "quantity": 1, "unit_price": "5.00"}],
        },
        "sales:write",
    )
    post(
        platform,
        "support",
        "/cases",
        {
            "customer_id": customer,
            "kind": "question",
            "subject": "Hi",
            "description": "Personal text",
        },
        "support:write",
    )
    view_when(
        platform,
        customer,
        lambda v: v["support"]["open_cases"] == 1 and v["sales"]["orders_count"] == 1,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        items = get(platform, f"/customers/{customer}/timeline").json()["items"]
        if len(items) == 4:
            break
        time.sleep(0.1)
    # The case's opening and the service level it is held to (ADR 48).
    assert [i["context"] for i in items] == ["contacts", "sales", "support", "support"]
    assert all(i["actor"] == "e2e" for i in items)
    [opened] = [i for i in items if i["type"] == "crm.support.CaseOpened.v2"]
    assert opened["data"]["description"] == "Personal text"  # decrypted for authorised readers
    sales_only = get(platform, f"/customers/{customer}/timeline", context="sales").json()["items"]
    assert [i["type"] for i in sales_only] == ["crm.sales.OrderPlaced.v1"]
    first = get(platform, f"/customers/{customer}/timeline", limit=2).json()
    rest = get(
        platform, f"/customers/{customer}/timeline", limit=2, cursor=first["next_cursor"]
    ).json()
    assert [i["event_id"] for i in first["items"] + rest["items"]] == [i["event_id"] for i in items]
    assert rest["next_cursor"] is None


def test_as_of_returns_the_earlier_state(platform) -> None:
    customer = register(platform, name="Before Rename", email=None, phone=None)
    view_when(platform, customer, lambda v: v["profile"] is not None)
    time.sleep(0.05)
    between = datetime.now(UTC)
    time.sleep(0.05)
    renamed = post(
        platform,
        "contacts",
        f"/customers/{customer}/name",
        {"name": "After Rename"},
        "contacts:write",
    )
    assert renamed.status_code == 200
    stream, version = renamed.json()["stream_id"], renamed.json()["version"]
    now = get(platform, f"/customers/{customer}", after=f"{stream}@{version}")
    assert now.status_code == 200 and now.json()["profile"]["name"] == "After Rename"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        later = get(platform, f"/customers/{customer}/as-of", at=datetime.now(UTC).isoformat())
        if later.status_code == 200 and later.json()["profile"]["name"] == "After Rename":
            break
        time.sleep(0.1)
    earlier = get(platform, f"/customers/{customer}/as-of", at=between.isoformat())
    assert earlier.status_code == 200, earlier.text
    assert earlier.json()["profile"]["name"] == "Before Rename"
    assert later.json()["profile"]["name"] == "After Rename"
    before_anything = get(platform, f"/customers/{customer}/as-of", at="2000-01-01T00:00:00Z")
    assert before_anything.status_code == 404


def test_read_your_writes_waits_for_the_event_or_says_to_retry(platform) -> None:
    response = post(platform, "contacts", "/customers", {"name": "Eager Reader"}, "contacts:write")
    body = response.json()
    view = get(
        platform,
        f"/customers/{body['customer_id']}",
        after=f"{body['stream_id']}@{body['version']}",
    )
    assert view.status_code == 200 and view.json()["profile"]["name"] == "Eager Reader"
    future = get(
        platform, f"/customers/{body['customer_id']}", after=f"{body['stream_id']}@99", wait_ms=200
    )
    assert future.status_code == 503 and future.headers["retry-after"] == "1"


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/customers", {"limit": 0}, "limit"),
        ("/customers", {"limit": 1000}, "limit"),
        ("/customers", {"cursor": "garbage"}, "cursor"),
        ("/customers", {"lifecycle": "zombie"}, "lifecycle"),
        ("/customers", {"name": "!!!"}, "name"),
        ("/customers", {"phone": "12"}, "phone"),
        ("/customers/not-a-uuid", {}, "customer_id"),
        (f"/customers/{uuid.uuid4()}", {"after": "nonsense"}, "after"),
        (f"/customers/{uuid.uuid4()}/timeline", {"context": "nope"}, "context"),
        (f"/customers/{uuid.uuid4()}/timeline", {"since": "yesterday"}, "since"),
        (
            f"/customers/{uuid.uuid4()}/timeline",
            {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
            "until",
        ),
        (f"/customers/{uuid.uuid4()}/as-of", {}, "at"),
        (f"/customers/{uuid.uuid4()}/as-of", {"at": "2026-01-01T00:00:00"}, "at"),
    ],
)
def test_bad_query_parameters_get_422_naming_the_parameter(platform, path, params, field) -> None:
    response = get(platform, path, **params)
    assert response.status_code == 422, response.text
    assert any(field in e["loc"] for e in response.json()["detail"]), response.json()


def test_unknown_customers_get_404(platform) -> None:
    unknown = uuid.uuid4()
    for path in (f"/customers/{unknown}", f"/customers/{unknown}/timeline"):
        assert get(platform, path).status_code == 404
