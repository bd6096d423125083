"""The credit limit over HTTP, in process (ADR 41): an order that would take the customer above
it is a 409 naming the sums, with nothing appended to either stream; with `credit_override` it
is placed and the override recorded with the actor; a cancelled order frees its share."""

from __future__ import annotations

from uuid import uuid4

from crm_sales.entrypoints.payments import router as accounts
from crm_sales.settings import SalesSettings

from tests.unit.kernel.test_request_bodies import order, order_commits, orders_service


def test_an_order_above_the_limit_is_refused_then_placed_with_an_override() -> None:
    client, store = orders_service(credit_limits=True)
    client.app.include_router(accounts)
    client.app.state.sales_settings = SalesSettings(credit_limits=True)
    customer = str(uuid4())
    with client:
        put = client.put(f"/accounts/{customer}/credit-limit",
                         json={"currency": "EUR", "limit": "50.00"})  # fmt: skip
        assert put.status_code == 200, put.text
        first = order(customer_id=customer)  # 2 x 19.95 = 39.90
        assert client.post("/orders", json=first).status_code == 201
        before = len(store.commits)
        over = client.post("/orders", json=order(customer_id=customer))
        assert over.status_code == 409
        assert "unbilled orders 39.90 + this order 39.90 = 79.80" in over.json()["detail"][0]["msg"]
        assert len(store.commits) == before  # neither the booking nor the order
        forced = client.post(
            "/orders", json={**order(customer_id=customer), "credit_override": True}
        )
        assert forced.status_code == 201, forced.text
        booked = [e for c in store.commits for e in c.events if e.type.endswith("OrderBooked.v1")]
        assert [e.data["override_by"] for e in booked] == [None, "unit"]
        cancelled = client.post(f"/orders/{forced.json()['order_id']}/cancellation",
                                json={"reason": "customer request"})  # fmt: skip
        assert cancelled.status_code == 200, cancelled.text
        assert client.post("/orders", json=order(customer_id=customer)).status_code == 409
        small = order(
            customer_id=customer, lines=[{"sku": "A", "quantity": 1, "unit_price": "10.10"}]
        )
        assert client.post("/orders", json=small).status_code == 201  # 39.90 + 10.10 = 50.00
    assert len(order_commits(store)) == 4  # placed, placed, cancelled, placed


def test_where_credit_limits_are_off_orders_cost_the_account_nothing_and_a_limit_is_refused() -> (
    None
):
    client, store = orders_service()
    client.app.include_router(accounts)
    client.app.state.sales_settings = SalesSettings()
    customer = str(uuid4())
    with client:
        put = client.put(f"/accounts/{customer}/credit-limit",
                         json={"currency": "EUR", "limit": "50.00"})  # fmt: skip
        assert put.status_code == 409
        assert "start sales with CRM_CREDIT_LIMITS=true" in put.json()["detail"][0]["msg"]
        assert client.post("/orders", json=order(customer_id=customer)).status_code == 201
    assert [c.stream_id.split("-")[0] for c in store.commits] == ["order"]


def test_another_orders_facts_under_a_placed_orders_id_book_nothing() -> None:
    client, store = orders_service(credit_limits=True)
    client.app.include_router(accounts)
    client.app.state.sales_settings = SalesSettings(credit_limits=True)
    customer = str(uuid4())
    with client:
        limit = {"currency": "EUR", "limit": "500.00"}
        assert client.put(f"/accounts/{customer}/credit-limit", json=limit).status_code == 200
        first = {**order(customer_id=customer), "order_id": str(uuid4())}
        assert client.post("/orders", json=first).status_code == 201
        before = len(store.commits)
        other = {**first, "lines": [{"sku": "B", "quantity": 1, "unit_price": "99.00"}]}
        refused = client.post("/orders", json=other)
        assert refused.status_code == 409 and "placed already" in refused.text
    assert len(store.commits) == before  # neither booked nor placed again
