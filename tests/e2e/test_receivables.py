"""Receivables over the whole platform (issue 13; ADR 40): a quote revised and accepted into
an order, delivered in part, invoiced in two instalments; the first paid late, the second in
part; a returned chair refunded. The receivables read model and the 360 view show the figures
computed by hand, now and as they stood before the late payment; illegal steps are 409s that
add nothing."""

from __future__ import annotations

import uuid

import httpx

from tests.e2e.test_leads import SALES, ok, patch
from tests.e2e.test_pipeline import get, read_when
from tests.e2e.test_walking_skeleton import post, register, token, view_when


def at(day: str) -> dict[str, str]:
    return {"occurred_at": f"2026-{day}T10:00:00Z"}


def step(platform, path: str, body: dict, day: str, status: int = 200) -> dict:
    return ok(post(platform, "sales", path, {**body, **at(day)}, SALES), status)


def test_an_invoice_paid_late_and_in_part_then_refunded_reads_as_computed_by_hand(
    platform,
) -> None:
    customer = register(platform, name="Inés Roca", email=f"i.{uuid.uuid4().hex[:8]}@roca.example")
    sku = f"CHAIR-{uuid.uuid4().hex[:6]}"
    product = {"sku": sku, "name": "Office chair", "category": "Furniture",
               "prices": {"EUR": "100.00"}, "tax_rate": "21"}  # fmt: skip
    ok(post(platform, "sales", "/products", product, SALES), 201)
    line = {"sku": sku, "quantity": 8, "discount_kind": "percent", "discount_value": "10"}
    quote = step(platform, "/quotes", {"customer_id": customer, "title": "Chairs for Inés",
                 "currency": "EUR", "lines": [line]}, "09-01", 201)["quote_id"]  # fmt: skip
    step(platform, f"/quotes/{quote}/sending", {}, "09-01")
    ok(patch(platform, f"/quotes/{quote}", {"lines": [{**line, "quantity": 10}], **at("09-03")}))
    step(platform, f"/quotes/{quote}/sending", {}, "09-03")
    order = step(platform, f"/quotes/{quote}/acceptance", {"payment_method": "transfer"},
                 "09-05")["order_id"]  # fmt: skip
    # 10 x 100.00 = 1000.00, 10 % off: net 900.00, tax 189.00, total 1089.00.
    step(platform, f"/orders/{order}/fulfilment", {"lines": [{"line": 0, "quantity": 6}]}, "09-06")
    halves = {"kind": "instalments",
              "instalments": [{"percent": "50", "days": 0}, {"percent": "50", "days": 30}]}  # fmt: skip
    invoice = step(platform, "/invoices", {"order_id": order, "terms": halves}, "09-10", 201)
    assert [(i["due_on"], i["amount"]) for i in invoice["instalments"]] == [
        ("2026-09-10", "544.50"), ("2026-10-10", "544.50"),
    ]  # fmt: skip
    paying = {"customer_id": customer, "currency": "EUR", "method": "transfer"}
    late = step(platform, "/payments", {**paying, "amount": "544.50"}, "09-25", 201)
    assert late["allocations"] == [
        {"invoice_id": invoice["invoice_id"], "instalment": 0, "amount": "544.50"}
    ]
    step(platform, "/payments", {**paying, "amount": "500.00"}, "10-05", 201)
    return_id = str(uuid.uuid4())
    step(platform, f"/orders/{order}/returns",
         {"return_id": return_id, "line": 0, "quantity": 1, "reason": "defective"}, "10-07")  # fmt: skip
    # The return's net is 900.00 / 10 = 90.00; its tax share 18.90: 108.90 off the second
    # instalment (544.50 -> 435.60), of which 500.00 was paid: 64.40 goes back.
    refund = {"customer_id": customer, "invoice_id": invoice["invoice_id"], "return_id": return_id,
              "reason": "return", "method": "transfer"}  # fmt: skip
    refunded = step(platform, "/refunds", refund, "10-08", 201)
    assert (refunded["net"], refunded["tax"], refunded["total"], refunded["refunded"]) == (
        "90.00", "18.90", "108.90", "64.40",
    )  # fmt: skip
    again = post(platform, "sales", "/refunds", {**refund, **at("10-09")}, SALES)
    assert again.status_code == 409 and "credited already" in again.text
    paid = post(platform, "sales", "/payments",
                {**paying, "amount": "1.00", "invoice_ids": [invoice["invoice_id"]]}, SALES)  # fmt: skip
    assert paid.status_code == 409 and "is paid in full" in paid.text

    now = read_when(platform, f"/receivables/{customer}",
                    lambda a: a["refunded"] == {"EUR": "64.40"})  # fmt: skip
    [billed] = now["invoices"]
    assert (billed["state"], billed["total"], billed["credited"], billed["paid"], billed["open"]) == (
        "paid", "1089.00", "108.90", "980.10", "0.00",
    )  # fmt: skip
    assert [(i["amount"], i["paid"], i["days_past_due"], i["paid_late"])
            for i in billed["instalments"]] == [
        ("544.50", "544.50", 15, True), ("435.60", "435.60", 0, False),
    ]  # fmt: skip
    assert (now["open"], now["credit"], now["late_payments"], now["worst_days_past_due"]) == (
        {}, {}, 1, 15,
    )  # fmt: skip

    # Before the late payment (20 September): the first instalment 10 days overdue.
    before = ok(get(platform, f"/receivables/{customer}", as_of="2026-09-20T12:00:00Z",
                    basis="occurred"))  # fmt: skip
    assert (before["open"], before["overdue"], before["late_payments"]) == (
        {"EUR": "1089.00"}, {"EUR": "544.50"}, 0,
    )  # fmt: skip
    assert before["ageing"] == {"EUR": {"current": "544.50", "1-30": "544.50", "31-60": "0",
                                        "61-90": "0", "91+": "0"}}  # fmt: skip
    assert before["invoices"][0]["state"] == "not_paid"
    # On 6 October: the first paid late, the second paid in part and not due yet.
    between = ok(get(platform, f"/receivables/{customer}", as_of="2026-10-06T12:00:00Z",
                     basis="occurred"))  # fmt: skip
    assert (between["open"], between["overdue"], between["worst_days_past_due"]) == (
        {"EUR": "44.50"}, {}, 15,
    )  # fmt: skip
    assert between["invoices"][0]["state"] == "partially_paid"

    # The 360 view: net revenue 900.00 less the returned 90.00, the refund not again.
    view = view_when(platform, customer, lambda v: (v["sales"].get("account") or {}).get(
        "refunded") == {"EUR": "64.40"})  # fmt: skip
    assert view["sales"]["revenue_by_currency"] == {"EUR": "810.00"}
    assert view["sales"]["account"]["late_payments"] == 1
    assert view["sales"]["payment_methods"] == ["transfer"]
    then = ok(get(platform, f"/customers/{customer}/as-of", at="2026-09-20T12:00:00Z",
                  time="occurred"))  # fmt: skip
    assert then["sales"]["account"]["overdue"] == {"EUR": "544.50"}
    assert then["sales"]["revenue_by_currency"] == {"EUR": "900.00"}
    summary = ok(get(platform, "/receivables/summary", as_of="2026-09-20T12:00:00Z",
                     basis="occurred"))  # fmt: skip
    assert summary["accounts_overdue"] >= 1


def test_an_overdue_invoice_is_reminded_at_the_level_the_policy_reached(platform) -> None:
    """One of two books invoiced on 1 October, due at once, unpaid: by today (at least 61 days
    past due) the policy's sweep (every second here) sends the final reminder, once, and no
    earlier one; the other book, counted against the customer's credit limit, is still to be
    billed."""
    customer = register(platform, name="Pau Serra", email=f"p.{uuid.uuid4().hex[:8]}@serra.example")
    limit = {"currency": "EUR", "limit": "1000.00"}
    ok(httpx.put(f"{platform.urls['sales']}/accounts/{customer}/credit-limit", json=limit,
                 headers=token(SALES), timeout=10))  # fmt: skip
    order = ok(
        post(platform, "sales", "/orders",
             {"customer_id": customer, "currency": "EUR", **at("10-01"),
              "lines": [{"sku": "BOOK-1", "quantity": 2, "unit_price": "15.00"}]}, SALES),
        201,
    )["order_id"]  # fmt: skip
    part = {"order_id": order, "lines": [{"line": 0, "quantity": 1}]}
    invoice = step(platform, "/invoices", part, "10-01", 201)
    account = read_when(
        platform,
        f"/receivables/{customer}",
        lambda a: a["invoices"] and a["invoices"][0]["instalments"][0]["reminders"],
    )
    [instalment] = account["invoices"][0]["instalments"]
    assert (instalment["due_on"], instalment["open"], instalment["reminders"]) == (
        "2026-10-01", "15.00", ["final"],
    )  # fmt: skip
    assert account["invoices"][0]["reference"] == invoice["reference"]
    assert (account["overdue"], account["unbilled"]) == ({"EUR": "15.00"}, {"EUR": "15.00"})
