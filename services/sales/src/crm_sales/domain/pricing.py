"""Pricing a quote's lines: gross, discount, net, tax and total, in the currency's minor units.

    gross     = quantity x list price
    discount  = gross x percent / 100, rounded          (percent)
              = quantity x amount off each unit         (amount; at most the list price)
    net       = gross - discount                        (what revenue counts)
    tax       = net x tax rate / 100, rounded per line  (half up)
    total     = net + tax

A quote's totals are the sums of its lines' figures, so the lines always add up to the
totals shown (tax is never recomputed on the sum).
"""

from __future__ import annotations

from decimal import Decimal

from crm_kernel.domain.errors import DomainError
from crm_sales_contracts.events import MAX_MONEY, DiscountKind, PricedLine, QuoteTotals
from pydantic import BaseModel, ConfigDict

from crm_sales.domain.money import exact, rounded
from crm_sales.domain.product import Product

HUNDRED = Decimal(100)


class LineAsked(BaseModel):
    """A line as the seller asks for it, the catalogue's defaults already filled in."""

    model_config = ConfigDict(frozen=True)

    sku: str
    name: str
    quantity: int
    list_price: Decimal
    discount_kind: DiscountKind | None = None
    discount_value: Decimal | None = None
    tax_rate: Decimal


def price_line(asked: LineAsked, currency: str, at: int) -> PricedLine:
    """The line priced; a 422 naming `lines.<at>.<field>` when its figures cannot be."""
    where = f"lines.{at}"
    list_price = exact(asked.list_price, currency, f"{where}.list_price")
    gross = list_price * asked.quantity
    discount = Decimal(0)
    match asked.discount_kind, asked.discount_value:
        case None, None:
            pass
        case DiscountKind.PERCENT, Decimal() as percent:
            if percent > HUNDRED:
                raise DomainError(
                    f"a discount of {percent} % is more than the whole line",
                    field=f"{where}.discount_value",
                )
            discount = rounded(gross * percent / HUNDRED, currency)
        case DiscountKind.AMOUNT, Decimal() as off:
            off = exact(off, currency, f"{where}.discount_value")
            if off > list_price:
                raise DomainError(
                    f"a discount of {off} {currency} a unit is more than the list price "
                    f"{list_price}",
                    field=f"{where}.discount_value",
                )
            discount = off * asked.quantity
        case _:
            raise DomainError(
                "a discount needs both its kind (percent or amount) and its value",
                field=f"{where}.discount_kind",
            )
    net = gross - discount
    tax = rounded(net * asked.tax_rate / HUNDRED, currency)
    if max(gross, net + tax) > MAX_MONEY:
        raise DomainError(
            f"the line comes to {max(gross, net + tax)} {currency}, more than the {MAX_MONEY} "
            "an amount may be",
            field=f"{where}.quantity",
        )
    return PricedLine(
        **asked.model_dump(),
        gross=rounded(gross, currency),
        discount=rounded(discount, currency),
        net=rounded(net, currency),
        tax=tax,
        total=rounded(net + tax, currency),
    )


def totals_of(lines: tuple[PricedLine, ...]) -> QuoteTotals:
    """The lines' sums; a 422 when they come to more than an amount may be."""
    if sum((line.total for line in lines), Decimal(0)) > MAX_MONEY:
        raise DomainError(f"the lines come to more than {MAX_MONEY}", field="lines")
    return QuoteTotals(
        subtotal=sum((line.gross for line in lines), Decimal(0)),
        discount=sum((line.discount for line in lines), Decimal(0)),
        net=sum((line.net for line in lines), Decimal(0)),
        tax=sum((line.tax for line in lines), Decimal(0)),
        total=sum((line.total for line in lines), Decimal(0)),
    )


class LineRequested(BaseModel):
    """A line as a request gives it: the sku, and what it overrides of the catalogue."""

    model_config = ConfigDict(frozen=True)

    sku: str
    quantity: int
    name: str | None = None
    list_price: Decimal | None = None
    tax_rate: Decimal | None = None
    discount_kind: DiscountKind | None = None
    discount_value: Decimal | None = None


def line_asked(requested: LineRequested, product: Product, currency: str, at: int) -> LineAsked:
    """The catalogue's name, price in `currency` and tax rate, unless the line overrides them;
    a product not in the catalogue or no longer offered is a 422 naming the line's sku."""
    where = f"lines.{at}"
    if not product.added:
        raise DomainError(f"no product {requested.sku} in the catalogue", field=f"{where}.sku")
    if not product.active:
        raise DomainError(f"product {requested.sku} is no longer offered", field=f"{where}.sku")
    price = requested.list_price if requested.list_price is not None else product.price_in(currency)
    if price is None:
        raise DomainError(
            f"product {requested.sku} has no list price in {currency}: give the line's list_price",
            field=f"{where}.list_price",
        )
    return LineAsked(
        sku=requested.sku,
        name=requested.name or product.name,
        quantity=requested.quantity,
        list_price=price,
        discount_kind=requested.discount_kind,
        discount_value=requested.discount_value,
        tax_rate=product.tax_rate if requested.tax_rate is None else requested.tax_rate,
    )
