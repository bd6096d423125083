"""A return through support into sales' figures over the whole platform (issue 14; ADR 51): an
order placed, delivered, invoiced and paid; support takes the return request for one lamp,
approves it under an RMA number, receives it and resolves it by a refund; sales records the
returned line and refunds it from support's events, so the 360 view's revenue is net of it
and the receivables show the money paid back."""

from __future__ import annotations

import uuid

from tests.e2e.test_leads import SALES, ok
from tests.e2e.test_pipeline import read_when
from tests.e2e.test_walking_skeleton import post, register, view_when

SUPPORT = "support:write"


def test_a_return_approved_received_and_refunded_shows_in_sales_figures(platform) -> None:
    customer = register(platform, name="Pol Vidal", email=f"p.{uuid.uuid4().hex[:8]}@v.example")
    order = ok(post(platform, "sales", "/orders", {
        "customer_id": customer, "currency": "EUR", "payment_method": "card",
        "lines": [{"sku": "LAMP-40", "quantity": 2, "unit_price": "30.00"},
                  {"sku": "BULB", "quantity": 4, "unit_price": "2.50"}],
    }, SALES), 201)["order_id"]  # fmt: skip
    ok(post(platform, "sales", f"/orders/{order}/fulfilment", {}, SALES))
    invoice = ok(post(platform, "sales", "/invoices", {"order_id": order}, SALES), 201)
    ok(post(platform, "sales", "/payments", {"customer_id": customer, "currency": "EUR",
                                             "amount": "70.00", "method": "card"}, SALES), 201)  # fmt: skip
    view_when(platform, customer, lambda v: v["sales"]["revenue_by_currency"] == {"EUR": "70.00"})

    requested = ok(post(platform, "support", "/returns", {
        "customer_id": customer, "order_id": order, "lines": [{"line": 0, "quantity": 1}],
        "reason": "defective", "note": "The switch broke after a week",
    }, SUPPORT), 201)  # fmt: skip
    returned = requested["return_id"]
    early = post(platform, "support", f"/returns/{returned}/receipt", {}, SUPPORT)
    assert early.status_code == 409 and "approve it first" in early.text
    rma = ok(post(platform, "support", f"/returns/{returned}/approval", {}, SUPPORT))["rma"]
    assert rma.startswith("RMA-")
    ok(post(platform, "support", f"/returns/{returned}/receipt", {}, SUPPORT))
    ok(post(platform, "support", f"/returns/{returned}/resolution", {"resolution": "refund"},
            SUPPORT))  # fmt: skip

    # Revenue net of the lamp (30.00 of 70.00); 30.00 paid back on the invoice.
    view = view_when(platform, customer,
                     lambda v: v["sales"]["revenue_by_currency"] == {"EUR": "40.00"})  # fmt: skip
    assert view["sales"]["quantities"]["LAMP-40"] == 1
    [request] = view["support"]["return_requests"]
    assert (request["status"], request["rma"], request["resolution"]) == ("resolved", rma, "refund")
    account = read_when(platform, f"/receivables/{customer}",
                        lambda a: a["refunded"] == {"EUR": "30.00"})  # fmt: skip
    [billed] = account["invoices"]
    assert (billed["invoice_id"], billed["credited"]) == (invoice["invoice_id"], "30.00")
