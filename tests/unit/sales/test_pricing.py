"""Pricing a quote's lines (crm_sales.domain.pricing, money): hand-computed figures for each
discount kind, tax rounded per line half up, currencies without cents or with thousandths,
and properties that hold for any line."""

from __future__ import annotations

from decimal import Decimal

import pytest
from crm_kernel.domain.errors import DomainError
from crm_sales.domain.money import exact, minor_units, rounded
from crm_sales.domain.pricing import LineAsked, price_line, totals_of
from crm_sales_contracts.events import DiscountKind
from hypothesis import given
from hypothesis import strategies as st

D = Decimal


def line(**fields: object) -> LineAsked:
    base: dict[str, object] = {
        "sku": "LAMP-1",
        "name": "Desk lamp",
        "quantity": 3,
        "list_price": D("19.99"),
        "tax_rate": D("21"),
    }
    return LineAsked(**(base | fields))


def test_a_line_without_discount_is_taxed_on_its_gross_rounded_half_up() -> None:
    priced = price_line(line(), "EUR", 0)
    # 3 x 19.99 = 59.97; 21 % of it is 12.5937 -> 12.59; total 72.56
    assert (priced.gross, priced.discount, priced.net) == (D("59.97"), D("0"), D("59.97"))
    assert (priced.tax, priced.total) == (D("12.59"), D("72.56"))


def test_a_percent_discount_comes_off_the_gross_and_the_tax_follows_the_net() -> None:
    priced = price_line(
        line(discount_kind=DiscountKind.PERCENT, discount_value=D("12.5")), "EUR", 0
    )
    # 12.5 % of 59.97 = 7.49625 -> 7.50; net 52.47; tax 21 % = 11.0187 -> 11.02
    assert (priced.discount, priced.net, priced.tax, priced.total) == (
        D("7.50"),
        D("52.47"),
        D("11.02"),
        D("63.49"),
    )


def test_an_amount_discount_comes_off_each_unit() -> None:
    priced = price_line(
        line(discount_kind=DiscountKind.AMOUNT, discount_value=D("2.50"), tax_rate=D("10")),
        "EUR",
        0,
    )
    # 3 x 2.50 = 7.50 off 59.97 -> 52.47; tax 10 % = 5.247 -> 5.25
    assert (priced.discount, priced.net, priced.tax, priced.total) == (
        D("7.50"),
        D("52.47"),
        D("5.25"),
        D("57.72"),
    )


def test_half_a_cent_of_tax_rounds_up() -> None:
    # 1 x 0.50 at 5 % = 0.025 -> 0.03 (banker's rounding would say 0.02)
    priced = price_line(line(quantity=1, list_price=D("0.50"), tax_rate=D("5")), "EUR", 0)
    assert priced.tax == D("0.03")


def test_yen_have_no_cents_and_dinars_have_thousandths() -> None:
    assert (minor_units("JPY"), minor_units("KWD"), minor_units("EUR")) == (0, 3, 2)
    yen = price_line(line(quantity=2, list_price=D("1999"), tax_rate=D("10")), "JPY", 0)
    assert (yen.tax, yen.total) == (D("400"), D("4398"))  # 399.8 -> 400
    dinar = price_line(line(quantity=1, list_price=D("1.234"), tax_rate=D("5")), "KWD", 0)
    assert dinar.tax == D("0.062")  # 0.0617 -> 0.062
    assert rounded(D("2.5"), "JPY") == D("3")


def test_a_price_finer_than_its_currency_or_a_discount_above_the_price_is_refused() -> None:
    with pytest.raises(DomainError, match="more decimals than JPY's 0") as refused:
        price_line(line(list_price=D("1.5")), "JPY", 2)
    assert refused.value.field == "lines.2.list_price"
    with pytest.raises(DomainError, match="more than the list price"):
        price_line(line(discount_kind=DiscountKind.AMOUNT, discount_value=D("20")), "EUR", 0)
    with pytest.raises(DomainError, match="both its kind"):
        price_line(line(discount_kind=DiscountKind.PERCENT), "EUR", 0)
    assert exact(D("2.1"), "EUR", "x") == D("2.10")
    with pytest.raises(DomainError, match="more than the 1000000000000") as refused:
        price_line(line(quantity=1_000_000, list_price=D("9999999")), "EUR", 1)
    assert refused.value.field == "lines.1.quantity"
    big = price_line(line(quantity=1, list_price=D("900000000000"), tax_rate=D("0")), "EUR", 0)
    with pytest.raises(DomainError, match="the lines come to more than"):
        totals_of((big, big))


def test_totals_are_the_sums_of_the_lines() -> None:
    lines = (
        price_line(line(), "EUR", 0),
        price_line(line(quantity=1, list_price=D("0.50"), tax_rate=D("5")), "EUR", 1),
    )
    totals = totals_of(lines)
    assert (totals.subtotal, totals.net, totals.tax, totals.total) == (
        D("60.47"),
        D("60.47"),
        D("12.62"),
        D("73.09"),
    )


cents = st.integers(min_value=1, max_value=10**7).map(lambda n: D(n).scaleb(-2))
rates = st.integers(min_value=0, max_value=10_000).map(lambda n: D(n).scaleb(-2))


@given(
    quantity=st.integers(min_value=1, max_value=10_000),
    price=cents,
    rate=rates,
    percent=rates,
    kind=st.sampled_from([None, DiscountKind.PERCENT, DiscountKind.AMOUNT]),
)
def test_any_line_adds_up(
    quantity: int, price: Decimal, rate: Decimal, percent: Decimal, kind: DiscountKind | None
) -> None:
    value = None if kind is None else percent if kind is DiscountKind.PERCENT else price / 2
    value = None if value is None else rounded(value, "EUR")
    priced = price_line(
        line(
            quantity=quantity,
            list_price=price,
            tax_rate=rate,
            discount_kind=kind,
            discount_value=value,
        ),
        "EUR",
        0,
    )
    assert priced.gross == price * quantity
    assert priced.net == priced.gross - priced.discount and D(0) <= priced.net <= priced.gross
    assert priced.total == priced.net + priced.tax
    assert abs(priced.tax - priced.net * rate / 100) <= D("0.005")  # one rounding, per line
    assert priced.tax == rounded(priced.tax, "EUR")
