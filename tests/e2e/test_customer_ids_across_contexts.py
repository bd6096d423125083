"""Customer ids across contexts (ADR 16), end to end: an id contacts never registered is
`pending` in the 360 view and search until its registration arrives; an order, case or
campaign response for an erased customer answers 410; an order for a merged id lands on the
survivor's 360 view and timeline."""

from __future__ import annotations

import uuid

import httpx

from tests.e2e.test_contacts import timeline_of
from tests.e2e.test_walking_skeleton import post, register, token, view_when

CONTACTS = "contacts:write"


def order_for(customer: str) -> dict:
    return {
        "customer_id": customer,
        "currency": "EUR",
        "lines": [{"sku": "LAMP-1", "quantity": 1, "unit_price": "9.50"}],
    }


def found_in_search(platform, customer: str, registration: str) -> bool:
    """Whether `GET /customers?registration=...` lists the customer (every page)."""
    params: dict[str, str | int] = {"registration": registration, "limit": 200}
    for _ in range(100):
        response = httpx.get(
            f"{platform.urls['projections']}/customers",
            params=params,
            headers=token("projections:read"),
            timeout=15,
        )
        assert response.status_code == 200, response.text
        page = response.json()
        for item in page["items"]:
            assert item["registration"] == registration
            if item["customer_id"] == customer:
                return True
        if page["next_cursor"] is None:
            return False
        params["cursor"] = page["next_cursor"]
    raise AssertionError("too many pages")


def test_an_order_before_the_registration_is_pending_until_it_arrives(platform) -> None:
    customer = str(uuid.uuid4())
    placed = post(platform, "sales", "/orders", order_for(customer), "sales:write")
    assert placed.status_code == 201, placed.text  # accepted: the shop's order may come first
    view = view_when(platform, customer, lambda v: v["sales"]["orders_count"] == 1)
    assert view["registration"] == "pending" and view["profile"] is None
    assert found_in_search(platform, customer, "pending")
    assert not found_in_search(platform, customer, "registered")

    body = {"customer_id": customer, "name": "Pia Pending", "email": None, "phone": None}
    registered = post(platform, "contacts", "/customers", body, CONTACTS)
    assert registered.status_code == 201, registered.text
    view = view_when(platform, customer, lambda v: v["registration"] == "registered")
    assert view["profile"]["name"] == "Pia Pending" and view["sales"]["orders_count"] == 1
    assert found_in_search(platform, customer, "registered")
    assert not found_in_search(platform, customer, "pending")


def test_an_order_case_or_response_for_an_erased_customer_is_gone(platform) -> None:
    customer = register(platform, phone=None)
    erasure = {"requested_by": "the data subject", "reason": "GDPR art. 17"}
    erased = post(platform, "contacts", f"/customers/{customer}/erasure", erasure, CONTACTS)
    assert erased.status_code == 200, erased.text
    campaign = str(uuid.uuid4())
    refused = {
        "order": post(platform, "sales", "/orders", order_for(customer), "sales:write"),
        "case": post(
            platform,
            "support",
            "/cases",
            {"customer_id": customer, "kind": "question", "subject": "S", "description": "D"},
            "support:write",
        ),
        "response": post(
            platform,
            "campaigns",
            f"/campaigns/{campaign}/responses",
            {"customer_id": customer, "response": "clicked", "channel": "email"},
            "campaigns:write",
        ),
    }
    for name, response in refused.items():
        assert response.status_code == 410, (name, response.text)
        assert "was erased" in response.json()["detail"][0]["msg"], name
    view = view_when(platform, customer, lambda v: v["erased"])
    assert view["sales"]["orders_count"] == 0 and view["marketing"]["responses"] == []


def test_an_order_for_a_merged_id_shows_on_the_survivor(platform) -> None:
    merged, survivor = register(platform, phone=None), register(platform, phone=None)
    merge = post(
        platform, "contacts", f"/customers/{merged}/merge", {"survivor_id": survivor}, CONTACTS
    )
    assert merge.status_code == 200, merge.text
    view_when(platform, survivor, lambda v: v["merged_from"] == [merged])
    # Sales knows nothing of the merge: it accepts the old id, the read side redirects it.
    placed = post(platform, "sales", "/orders", order_for(merged), "sales:write")
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    view = view_when(platform, survivor, lambda v: v["sales"]["orders_count"] == 1)
    assert view["sales"]["orders"][0]["id"] == order_id
    assert view["registration"] == "registered"
    old = view_when(platform, merged, lambda v: v.get("redirected_from") == merged)
    assert old["customer_id"] == survivor and old["sales"]["orders_count"] == 1
    entries = timeline_of(platform, survivor)
    assert any(e["data"].get("order_id") == order_id for e in entries), entries
