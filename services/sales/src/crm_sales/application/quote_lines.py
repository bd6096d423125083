"""A quote's lines from the catalogue: each requested sku's product is read from its stream
and fills in what the line does not override (crm_sales.domain.pricing.line_asked)."""

from __future__ import annotations

from crm_kernel.application import CommandHandler

from crm_sales.domain import product
from crm_sales.domain.pricing import LineAsked, LineRequested, line_asked
from crm_sales.domain.product import Product, ProductCommand


class QuoteLines:
    def __init__(self, products: CommandHandler[Product, ProductCommand]) -> None:
        self._products = products

    async def asked(self, requested: list[LineRequested], currency: str) -> tuple[LineAsked, ...]:
        found: dict[str, Product] = {}
        for sku in dict.fromkeys(line.sku for line in requested):
            found[sku], _ = await self._products.load(product.stream_of(sku))
        return tuple(
            line_asked(line, found[line.sku], currency, n) for n, line in enumerate(requested)
        )
