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
