"""Quotes over the whole platform (issue 13; ADR 35): a product in the catalogue, a quote
priced from it with a discount, sent, revised and sent again, accepted into an order with
its deal won; the 360 view counts the order's net (line nets after discount, excluding tax),
figures computed by hand. A late acceptance is a 409 naming the expiry, with nothing added."""

from __future__ import annotations

import uuid

from tests.e2e.test_leads import LEADS_BLOCK, SALES, json_objects, ok, patch, run_readme
from tests.e2e.test_pipeline import get, read_when
from tests.e2e.test_walking_skeleton import post, register, view_when


def test_a_quote_priced_from_the_catalogue_is_accepted_into_an_order_and_its_deal_won(
    platform,
) -> None:
    customer = register(
        platform, name="Marta Vidal", email=f"m.{uuid.uuid4().hex[:8]}@vidal.example"
    )
    sku = f"LAMP-{uuid.uuid4().hex[:6]}"
    product = {"sku": sku, "name": "Desk lamp", "category": "Lighting",
               "prices": {"EUR": "50.00"}, "tax_rate": "21"}  # fmt: skip
    ok(post(platform, "sales", "/products", product, SALES), 201)
    deal = ok(
        post(platform, "sales", "/opportunities",
             {"customer_id": customer, "name": "Office lamps", "owner": "marta",
              "amount": "100.00", "currency": "EUR", "expected_close": "2027-06-30"}, SALES),
        201,
    )["opportunity_id"]  # fmt: skip
    line = {"sku": sku, "quantity": 4, "discount_kind": "percent", "discount_value": "10"}
    quote = ok(
        post(platform, "sales", "/quotes",
             {"customer_id": customer, "opportunity_id": deal, "title": "Lamps for Marta",
              "currency": "EUR", "lines": [line]}, SALES),
        201,
    )["quote_id"]  # fmt: skip
    ok(post(platform, "sales", f"/quotes/{quote}/sending", {}, SALES))
    # The customer wants five: revision 2, a draft until it is sent.
    ok(patch(platform, f"/quotes/{quote}", {"lines": [{**line, "quantity": 5}]}))
    draft = post(platform, "sales", f"/quotes/{quote}/acceptance", {}, SALES)
    assert draft.status_code == 409 and "send it before it is accepted" in draft.text
    ok(post(platform, "sales", f"/quotes/{quote}/sending", {}, SALES))
    accepted = ok(
        post(platform, "sales", f"/quotes/{quote}/acceptance", {"payment_method": "card"}, SALES)
    )
    assert accepted["opportunity"] is not None
    # 5 x 50.00 = 250.00; 10 % off = 25.00; net 225.00 (tax 47.25 is not revenue).
    view = view_when(platform, customer, lambda v: v["sales"]["orders_count"] == 1)
    assert view["sales"]["revenue_by_currency"] == {"EUR": "225.00"}
    [order] = view["sales"]["orders"]
    assert (order["id"], order["total"], order["items"]) == (accepted["order_id"], "225.00", 5)
    won = view_when(
        platform,
        customer,
        lambda v: [d["status"] for d in v["sales"]["opportunities"]] == ["won"],
    )
    assert won["sales"]["opportunities"][0]["amount"] == "225.00"
    [listed] = read_when(
        platform, "/quotes", lambda a: [q["status"] for q in a["items"]] == ["accepted"],
        customer_id=customer,
    )["items"]  # fmt: skip
    assert (listed["title"], listed["revision"], listed["net"], listed["order_id"]) == (
        "Lamps for Marta", 2, "225.00", accepted["order_id"],
    )  # fmt: skip


def test_a_quote_accepted_after_its_validity_is_refused(platform) -> None:
    customer = register(
        platform, name="Luis Pardo", email=f"l.{uuid.uuid4().hex[:8]}@pardo.example"
    )
    sku = f"DESK-{uuid.uuid4().hex[:6]}"
    product = {"sku": sku, "name": "Desk", "category": "Furniture",
               "prices": {"JPY": "48000"}, "tax_rate": "10"}  # fmt: skip
    ok(post(platform, "sales", "/products", product, SALES), 201)
    quote = ok(
        post(platform, "sales", "/quotes",
             {"customer_id": customer, "title": "A desk", "currency": "JPY",
              "lines": [{"sku": sku, "quantity": 1}], "validity_days": 7,
              "occurred_at": "2026-11-01T10:00:00Z"}, SALES),
        201,
    )["quote_id"]  # fmt: skip
    ok(
        post(
            platform,
            "sales",
            f"/quotes/{quote}/sending",
            {"occurred_at": "2026-11-02T10:00:00Z"},
            SALES,
        )
    )
    late = post(platform, "sales", f"/quotes/{quote}/acceptance", {}, SALES)
    assert late.status_code == 409 and "expired on 2026-11-09" in late.text
    # The read side says so too: expired today, open as it stood on 5 November.
    now = read_when(platform, f"/quotes/{quote}", lambda q: q["valid_until"] == "2026-11-09")
    assert now["status"] == "expired"
    then = {"as_of": "2026-11-05T12:00:00Z", "basis": "occurred"}
    assert ok(get(platform, f"/quotes/{quote}", **then))["status"] == "sent"
    summary = ok(get(platform, "/quotes/summary", **then))
    assert (summary["day"], summary["open_net"], summary["expiring_net"]) == (
        "2026-11-05", {"JPY": "48000"}, {"JPY": "48000"},
    )  # fmt: skip


def test_the_readmes_quotes_and_payments_examples_work_pasted_in_order(platform) -> None:
    """The leads block (it makes $PROSPECT), then the products and quotes block, then the
    payments block."""
    printed, prospect = run_readme(
        platform,
        [
            LEADS_BLOCK,
            "### The sales context: products and quotes",
            "### The sales context: payments, credit and receivables",
        ],
        reads=9,  # the leads block's three, the quotes block's three, the payments block's three
        show="PROSPECT",
    )
    refusals = [a["detail"][0]["msg"] for a in json_objects(printed) if "detail" in a]
    # The leads block's, the draft's acceptance, the second credit, the order above the limit.
    assert len(refusals) == 4, printed
    assert "send it before it is accepted" in refusals[1]
    assert "credited already" in refusals[2]
    assert refusals[3] == (
        f"customer {prospect}'s credit limit is 5000.00 EUR: open receivables 0.00 + unbilled "
        "orders 0.00 + this order 6000.00 = 6000.00; place it with credit_override to go above "
        "the limit"
    )
    [invoice] = [a for a in json_objects(printed) if "reference" in a]
    assert [i["amount"] for i in invoice["instalments"]] == ["1470.15", "1470.15"]
    [refund] = [a for a in json_objects(printed) if "refunded" in a]
    assert (refund["total"], refund["refunded"]) == ("726.00", "112.40")
    # Revenue: 2430.00 less the returned 270.00 and the adjustment's 600.00.
    view = view_when(
        platform, prospect, lambda v: v["sales"]["revenue_by_currency"] == {"EUR": "1560.00"}
    )
    [order] = view["sales"]["orders"]
    assert (order["items"], order["status"], order["returned_net"]) == (45, "fulfilled", "270.00")
    assert view["sales"]["payment_methods"] == ["transfer"]
    # 2000.00 paid: the first half in full, 529.85 of the second; 326.70 (the return) and
    # 726.00 (the adjustment) off the second leave 417.45 due, 112.40 paid back.
    account = read_when(
        platform, f"/receivables/{prospect}", lambda a: a["refunded"] == {"EUR": "112.40"}
    )
    [billed] = account["invoices"]
    assert (billed["state"], billed["credited"], billed["paid"], billed["open"]) == (
        "paid", "1052.70", "1887.60", "0.00",
    )  # fmt: skip
    assert (account["open"], account["credit_limit"], account["credited_net"]) == (
        {}, {"EUR": "5000.00"}, {"EUR": "600.00"},
    )  # fmt: skip
