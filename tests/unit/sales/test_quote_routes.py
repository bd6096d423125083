"""The products' and quotes' HTTP API in process, on in-memory fakes: a quote priced from the
catalogue, revised, sent, accepted into an order with its deal won; and bad input (422, field
by field) and illegal moves (409, naming the rule) with nothing appended."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from crm_sales.application.order_placement import OrderPlacement
from crm_sales.application.quote_acceptance import QuoteAcceptance
from crm_sales.application.quote_lines import QuoteLines
from crm_sales.domain.account import account_decider
from crm_sales.domain.opportunity import opportunity_decider
from crm_sales.domain.order import order_decider
from crm_sales.domain.product import product_decider
from crm_sales.domain.quote import quote_decider
from crm_sales.entrypoints import opportunities, products, quotes
from crm_sales.settings import SalesSettings
from fastapi import APIRouter
from fastapi.testclient import TestClient

from tests.fakes import InMemoryEventStore
from tests.unit.kernel.test_request_bodies import refused, service


@pytest.fixture
def api() -> Any:
    router = APIRouter()
    for module in (products, quotes, opportunities):
        router.include_router(module.router)
    client, store = service(router, "sales", quote_decider)
    handlers = client.app.state.handlers
    client.app.state.sales_settings = SalesSettings()
    client.app.state.quote_lines = QuoteLines(handlers.of(product_decider))
    placement = OrderPlacement(
        handlers.of(order_decider), handlers.of(account_decider), credit_limits=True
    )
    client.app.state.quote_acceptance = QuoteAcceptance(
        handlers.of(quote_decider),
        handlers.of(order_decider),
        handlers.of(opportunity_decider),
        placement,
    )
    with client:
        assert client.post("/products", json=LAMP).status_code == 201
        yield client, store


LAMP = {
    "sku": "LAMP-1",
    "name": "Desk lamp",
    "category": "Lighting",
    "prices": {"EUR": "50.00"},
    "tax_rate": "21",
}
CUSTOMER = str(uuid4())


def types(store: InMemoryEventStore) -> list[str]:
    return [e.type.split(".")[2] for c in store.commits for e in c.events]


def events_of(store: InMemoryEventStore, kind: str) -> list[dict[str, Any]]:
    return [e.data for c in store.commits for e in c.events if e.type.split(".")[2] == kind]


def draft(client: TestClient, **fields: Any) -> str:
    body = {
        "customer_id": CUSTOMER,
        "title": "Lamps for the office",
        "currency": "EUR",
        "lines": [{"sku": "LAMP-1", "quantity": 4, "discount_kind": "percent",
                   "discount_value": "10"}],
        **fields,
    }  # fmt: skip
    answer = client.post("/quotes", json=body)
    assert answer.status_code == 201, answer.text
    quote_id: str = answer.json()["quote_id"]
    return quote_id


def test_a_quote_from_the_catalogue_is_revised_sent_and_accepted_into_an_order(api: Any) -> None:
    client, store = api
    deal = client.post(
        "/opportunities",
        json={"customer_id": CUSTOMER, "name": "Office lamps", "owner": "marta",
              "amount": "100.00", "currency": "EUR", "expected_close": "2026-06-30"},
    )  # fmt: skip
    assert deal.status_code == 201, deal.text
    deal_id = deal.json()["opportunity_id"]
    quote_id = draft(client, opportunity_id=deal_id)
    [drafted] = events_of(store, "QuoteDrafted")
    # 4 x 50.00 = 200.00, 10 % off = 20.00, net 180.00, 21 % tax = 37.80, total 217.80
    assert drafted["totals"] == {
        "subtotal": "200.00", "discount": "20.00", "net": "180.00", "tax": "37.80",
        "total": "217.80",
    }  # fmt: skip
    assert drafted["lines"][0]["name"] == "Desk lamp"
    sent = client.post(f"/quotes/{quote_id}/sending", json={"occurred_at": "2026-03-02T09:00:00Z"})
    assert sent.status_code == 200, sent.text
    revised = client.patch(
        f"/quotes/{quote_id}", json={"lines": [{"sku": "LAMP-1", "quantity": 5}]}
    )
    assert revised.status_code == 200, revised.text
    early = client.post(f"/quotes/{quote_id}/acceptance", json={})
    assert early.status_code == 409 and "send it before" in early.text
    client.post(f"/quotes/{quote_id}/sending", json={})
    accepted = client.post(
        f"/quotes/{quote_id}/acceptance", json={"payment_method": "PayPal", "revision": 2}
    )
    assert accepted.status_code == 200, accepted.text
    answer = accepted.json()
    assert answer["opportunity"] is not None and answer["order"]["version"] == 1
    [order] = events_of(store, "OrderPlaced")
    assert (order["order_id"], order["quote_revision"], order["payment_method"]) == (
        answer["order_id"], 2, "paypal",
    )  # fmt: skip
    assert (order["total"], order["tax"]) == ("250.00", "52.50")  # 5 x 50, 21 %
    assert events_of(store, "OpportunityAmountChanged")[0]["amount"] == "250.00"
    assert len(events_of(store, "OpportunityWon")) == 1
    # Accepted again (a retry): the same order, nothing new.
    before = len(store.commits)
    again = client.post(f"/quotes/{quote_id}/acceptance", json={})
    assert again.status_code == 200 and again.json()["order_id"] == answer["order_id"]
    assert len(store.commits) == before


def test_a_quote_accepted_after_its_validity_is_refused_with_nothing_appended(api: Any) -> None:
    client, store = api
    quote_id = draft(client, validity_days=10)
    client.post(f"/quotes/{quote_id}/sending", json={"occurred_at": "2026-03-02T09:00:00Z"})
    before = len(store.commits)
    late = client.post(
        f"/quotes/{quote_id}/acceptance", json={"occurred_at": "2026-03-13T09:00:00Z"}
    )
    assert late.status_code == 409 and "expired on 2026-03-12" in late.text
    assert len(store.commits) == before and "OrderPlaced" not in types(store)


def test_lines_the_catalogue_cannot_price_are_refused_field_by_field(api: Any) -> None:
    client, store = api
    body = {"customer_id": CUSTOMER, "title": "t", "currency": "JPY",
            "lines": [{"sku": "LAMP-1", "quantity": 1}]}  # fmt: skip
    refused(client.post("/quotes", json=body), "lines", 0, "list_price")
    body["lines"] = [{"sku": "NOPE", "quantity": 1}]
    refused(client.post("/quotes", json=body), "lines", 0, "sku")
    body |= {"currency": "EUR", "lines": [{"sku": "LAMP-1", "quantity": 1, "bogus": 1}]}
    refused(client.post("/quotes", json=body), "lines", 0, "bogus")
    body["lines"] = [{"sku": "LAMP-1", "quantity": 1, "discount_kind": "percent",
                      "discount_value": "101"}]  # fmt: skip
    refused(client.post("/quotes", json=body), "discount_value")
    assert "QuoteDrafted" not in types(store)
    assert client.post("/products/LAMP-1/deactivation").status_code == 200
    body["lines"] = [{"sku": "LAMP-1", "quantity": 1}]
    refused(client.post("/quotes", json=body), "lines", 0, "sku")


def test_a_rejection_names_a_configured_reason(api: Any) -> None:
    client, store = api
    quote_id = draft(client)
    client.post(f"/quotes/{quote_id}/sending", json={})
    refused(client.post(f"/quotes/{quote_id}/rejection", json={"reason": "meh"}), "reason")
    done = client.post(f"/quotes/{quote_id}/rejection", json={"reason": "Price", "note": "dear"})
    assert done.status_code == 200, done.text
    assert events_of(store, "QuoteRejected")[0]["reason"] == "price"
    closed = client.post(f"/quotes/{quote_id}/acceptance", json={})
    assert closed.status_code == 409 and "was rejected" in closed.text
