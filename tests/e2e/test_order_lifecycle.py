"""An order's later steps over the whole platform (issue 13): delivered in part, then in
full, a line returned for a listed reason; the 360 view shows the order's status and takes
the returned share of the line's net off the revenue, figures computed by hand. A return
beyond what was delivered is a 409 naming what is left, with nothing appended."""

from __future__ import annotations

import uuid

from tests.e2e.test_leads import SALES, ok
from tests.e2e.test_walking_skeleton import post, register, view_when


def test_an_order_delivered_in_part_and_returned_in_part_shows_in_the_360_view(platform) -> None:
    customer = register(platform, name="Pilar Gil", email=f"p.{uuid.uuid4().hex[:8]}@gil.example")
    order = ok(
        post(platform, "sales", "/orders",
             {"customer_id": customer, "currency": "EUR",
              "lines": [{"sku": "LAMP-1", "quantity": 3, "unit_price": "10.00"},
                        {"sku": "BULB-1", "quantity": 10, "unit_price": "1.99"}]}, SALES),
        201,
    )["order_id"]  # fmt: skip
    path = f"/orders/{order}"
    ok(
        post(
            platform, "sales", f"{path}/fulfilment", {"lines": [{"line": 1, "quantity": 4}]}, SALES
        )
    )
    partly = view_when(
        platform, customer, lambda v: v["sales"]["orders"][0].get("status") == "partially_fulfilled"
    )
    assert partly["sales"]["orders"][0]["fulfilled_items"] == 4
    too_many = post(
        platform, "sales", f"{path}/returns",
        {"line": 1, "quantity": 5, "reason": "defective"}, SALES,
    )  # fmt: skip
    assert (
        too_many.status_code == 409 and "has 4 delivered and not returned, not 5" in too_many.text
    )
    unknown = post(
        platform, "sales", f"{path}/returns", {"line": 1, "quantity": 1, "reason": "meh"}, SALES
    )
    assert unknown.status_code == 422 and "one of: defective" in unknown.text
    ok(post(platform, "sales", f"{path}/fulfilment", {}, SALES))
    ok(post(platform, "sales", f"{path}/returns",
            {"line": 1, "quantity": 3, "reason": "Defective"}, SALES))  # fmt: skip
    # 49.90 placed; 3 of 10 bulbs back: 19.90 x 3 / 10 = 5.97 off, 43.93 left
    view = view_when(
        platform, customer, lambda v: v["sales"]["orders"][0].get("returned_items") == 3
    )
    [entry] = view["sales"]["orders"]
    assert (entry["status"], entry["fulfilled_items"], entry["returned_net"]) == (
        "fulfilled", 13, "5.97",
    )  # fmt: skip
    assert view["sales"]["revenue_by_currency"] == {"EUR": "43.93"}
    cancel = post(platform, "sales", f"{path}/cancellation", {"reason": "customer request"}, SALES)
    assert cancel.status_code == 409 and "return its lines instead" in cancel.text


def test_orders_are_invoiced_with_gap_free_numbers_and_instalments(platform) -> None:
    customer = register(platform, name="Jaime Roca", email=f"j.{uuid.uuid4().hex[:8]}@roca.example")
    series = f"T{uuid.uuid4().hex[:6].upper()}"  # a series of this test's own
    orders = [
        ok(post(platform, "sales", "/orders",
                {"customer_id": customer, "currency": "EUR",
                 "lines": [{"sku": "DESK-1", "quantity": 1, "unit_price": "100.00"}]}, SALES), 201)["order_id"]
        for _ in range(2)
    ]  # fmt: skip
    terms = {"kind": "instalments", "instalments": [{"percent": "50", "days": 0},
                                                    {"percent": "50", "days": 30}]}  # fmt: skip
    body = {"order_id": orders[0], "series": series, "terms": terms,
            "occurred_at": "2026-01-31T10:00:00Z"}  # fmt: skip
    first = ok(post(platform, "sales", "/invoices", body, SALES), 201)
    assert (first["number"], first["reference"]) == (1, f"{series}2026-000001")
    assert first["instalments"] == [
        {"due_on": "2026-01-31", "amount": "50.00"}, {"due_on": "2026-03-02", "amount": "50.00"},
    ]  # fmt: skip
    again = ok(
        post(platform, "sales", "/invoices", {**body, "invoice_id": first["invoice_id"]}, SALES),
        201,
    )
    assert again["number"] == 1  # a retry keeps its number
    twice = post(platform, "sales", "/invoices", body, SALES)
    assert twice.status_code == 409 and "invoiced in full already" in twice.text
    bad = post(platform, "sales", "/invoices",
               {**body, "order_id": orders[1],
                "terms": {"kind": "instalments", "instalments": [{"percent": "60", "days": 0}]}},
               SALES)  # fmt: skip
    assert bad.status_code == 422 and "sum to 100" in bad.text
    second = ok(post(platform, "sales", "/invoices",
                     {"order_id": orders[1], "series": series, "occurred_at": "2026-02-01T10:00:00Z",
                      "terms": {"kind": "end_of_month", "days": 30}}, SALES), 201)  # fmt: skip
    assert (second["number"], second["instalments"]) == (
        2, [{"due_on": "2026-03-30", "amount": "100.00"}],
    )  # fmt: skip
    cancel = post(
        platform, "sales", f"/orders/{orders[0]}/cancellation", {"reason": "duplicate"}, SALES
    )
    assert cancel.status_code == 409 and "credit it instead" in cancel.text
