"""What the 360 view derives from its sales section (crm_projections.domain.customer_360.sales
.derived), figures by hand: the average order value per currency over the orders not
cancelled, and the median interval between purchases."""

from __future__ import annotations

from crm_projections.domain.customer_360.sales import derived


def order(day: str, currency: str = "EUR", status: str | None = None) -> dict:
    entry = {"id": day, "placed_at": f"2026-{day}T10:00:00Z", "currency": currency}
    return entry | ({"status": status} if status else {})


def test_average_order_value_and_the_usual_interval_between_purchases() -> None:
    sales = {
        # 100.00 + 50.00 - 20.00 returned: 130.00 over two orders kept; the cancelled one's net
        # was taken off revenue when it was cancelled.
        "revenue_by_currency": {"EUR": "130.00", "JPY": "1000"},
        "orders": [
            order("03-01"),
            order("03-11", status="cancelled"),
            order("03-31", "JPY"),
            order("04-10"),
        ],
    }
    # gaps between the kept orders: 1 Mar -> 31 Mar 30 days, -> 10 Apr 10 days: median 20.0
    assert derived(sales) == {
        "average_order_value": {"EUR": "65.00", "JPY": "1000"},
        "purchase_interval_days": 20.0,
    }


def test_before_a_second_order_there_is_no_interval() -> None:
    sales = {"revenue_by_currency": {"EUR": "10.00"}, "orders": [order("03-01")]}
    assert derived(sales) == {
        "average_order_value": {"EUR": "10.00"},
        "purchase_interval_days": None,
    }
    empty = {"revenue_by_currency": {}, "orders": []}
    assert derived(empty) == {"average_order_value": {}, "purchase_interval_days": None}
