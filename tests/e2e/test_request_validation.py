"""Issue 9 through the running platform: bounded numbers, unknown fields, ISO date-times,
payment methods, and facts recorded after they happened (timeline and both as-of clocks)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx

from tests.e2e.test_queries import get
from tests.e2e.test_walking_skeleton import post, register, view_when

CONTACTS = "contacts:write"


def order(customer: str, **fields) -> dict:
    return {
        "customer_id": customer,
        "currency": "EUR",
        "lines": [{"sku": "LAMP-1", "quantity": 1, "unit_price": "19.95"}],
        **fields,
    }


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    return [e["loc"][-1] for e in response.json()["detail"]]


def test_a_quantity_the_store_cannot_hold_is_422_not_500(platform) -> None:
    customer = register(platform, email=None, phone=None)
    line = {"sku": "LAMP-1", "quantity": 2**63, "unit_price": "19.95"}
    response = post(platform, "sales", "/orders", order(customer, lines=[line]), "sales:write")
    assert names(response) == ["quantity"]
    price = {"sku": "LAMP-1", "quantity": 1, "unit_price": "1e20"}
    response = post(platform, "sales", "/orders", order(customer, lines=[price]), "sales:write")
    assert names(response) == ["unit_price"]


def test_unknown_fields_are_refused_not_dropped(platform) -> None:
    response = post(
        platform, "contacts", "/customers", {"name": "Ana", "emial": "a@b.es"}, CONTACTS
    )
    assert names(response) == ["emial"]
    assert response.json()["detail"][0]["type"] == "extra_forbidden"
    customer = register(platform, email=None, phone=None)
    case = {"customer_id": customer, "kind": "question", "subject": "S", "description": "D"}
    refused = post(platform, "support", "/cases", {**case, "urgency": "high"}, "support:write")
    assert names(refused) == ["urgency"]


def test_numbers_are_not_date_times(platform) -> None:
    customer = register(platform, email=None, phone=None)
    meeting = {
        "customer_id": customer,
        "owner": "marta",
        "kind": "meeting",
        "title": "Review",
        "ends_at": "2026-12-01T10:00:00Z",
    }
    for wrong in (0, "0", "1764579600", "2026-12-01T09:00:00"):
        response = post(
            platform, "contacts", "/activities", {**meeting, "starts_at": wrong}, CONTACTS
        )
        assert names(response) == ["starts_at"], wrong
    fine = post(
        platform,
        "contacts",
        "/activities",
        {**meeting, "starts_at": "2026-12-01T09:00:00Z"},
        CONTACTS,
    )
    assert fine.status_code == 201, fine.text


def test_payment_methods_are_stored_in_one_spelling(platform) -> None:
    customer = register(platform, email=None, phone=None)
    placed = post(
        platform, "sales", "/orders", order(customer, payment_method="PayPal"), "sales:write"
    )
    assert placed.status_code == 201, placed.text
    bad = post(platform, "sales", "/orders", order(customer, payment_method="IOU"), "sales:write")
    assert names(bad) == ["payment_method"]
    view = view_when(platform, customer, lambda v: v["sales"]["orders_count"] == 1)
    assert view["sales"]["payment_methods"] == ["paypal"]


def test_facts_recorded_later_sit_at_their_own_time(platform) -> None:
    """A call of 5 March and an order of 31 January, both recorded today: the timeline puts
    them at their dates, and as-of answers both what we knew then and how things stood then."""
    recorded_from = datetime.now(UTC)
    customer = register(platform, email=None, phone=None)
    call = post(
        platform,
        "contacts",
        "/interactions",
        {
            "customer_id": customer,
            "channel": "phone_call",
            "direction": "inbound",
            "occurred_at": "2026-03-05T15:30:00+01:00",
        },
        CONTACTS,
    )
    assert call.status_code == 201, call.text
    imported = post(
        platform,
        "sales",
        "/orders",
        order(customer, occurred_at="2026-01-31T12:00:00Z"),
        "sales:write",
    )
    assert imported.status_code == 201, imported.text
    ahead = post(
        platform,
        "sales",
        "/orders",
        order(customer, occurred_at="2099-01-01T00:00:00Z"),
        "sales:write",
    )
    assert names(ahead) == ["occurred_at"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        items = get(platform, f"/customers/{customer}/timeline").json()["items"]
        if len(items) == 3:
            break
        time.sleep(0.1)
    assert [(i["type"].split(".")[2], i["occurred_at"]) for i in items[:2]] == [
        ("OrderPlaced", "2026-01-31T12:00:00.000000Z"),
        ("InteractionLogged", "2026-03-05T14:30:00.000000Z"),
    ]
    assert items[2]["type"] == "crm.contacts.CustomerRegistered.v1"
    assert all(i["recorded_at"] >= recorded_from.strftime("%Y-%m-%dT%H:%M:%S") for i in items)
    march = get(
        platform,
        f"/customers/{customer}/timeline",
        since="2026-03-01T00:00:00Z",
        until="2026-04-01T00:00:00Z",
    ).json()["items"]
    assert [i["type"] for i in march] == ["crm.contacts.InteractionLogged.v1"]

    as_of = f"/customers/{customer}/as-of"
    # How things stood on 1 February, by all we know now: the imported order, nothing else.
    business = get(platform, as_of, at="2026-02-01T00:00:00Z", time="occurred")
    assert business.status_code == 200, business.text
    assert business.json()["sales"]["orders_count"] == 1
    assert business.json()["as_of_time"] == "occurred"
    assert (business.json().get("interactions") or {}).get("count", 0) == 0
    # What we knew on 1 February: nothing, it was all recorded today.
    knew = get(platform, as_of, at="2026-02-01T00:00:00Z")
    assert knew.status_code == 404, knew.text
    assert get(platform, as_of, at="2026-02-01T00:00:00Z", time="recorded").status_code == 404
    now = get(platform, as_of, at=datetime.now(UTC).isoformat(), time="occurred").json()
    assert (now["sales"]["orders_count"], now["interactions"]["count"]) == (1, 1)
    assert names(get(platform, as_of, at="2026-02-01T00:00:00Z", time="business")) == ["time"]
    assert names(get(platform, as_of, at="1769904000")) == ["at"]
