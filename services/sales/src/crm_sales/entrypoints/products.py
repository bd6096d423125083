"""HTTP API of the product catalogue: translates requests into product commands."""

from __future__ import annotations

from typing import Annotated

from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import Metadata
from crm_kernel.http import CommandAccepted, accept, write_metadata
from crm_kernel.openapi import COMMAND_ERRORS, SUBJECT_COMMAND_ERRORS
from crm_kernel.request_body import Line, OptionalLine, RequestBody
from crm_kernel.runtime import handler_of
from crm_sales_contracts.events import CATEGORY, PRODUCT_NAME, SKU, Prices, Rate
from fastapi import APIRouter, Depends, Path
from pydantic import Field

from crm_sales.domain.product import (
    AddProduct,
    ChangeProduct,
    DeactivateProduct,
    Product,
    ProductCommand,
    ReactivateProduct,
    product_decider,
    stream_of,
)
from crm_sales.entrypoints.steps import bounded, optional

# 404 for a sku never added; 422 for a price finer than its currency (1.5 yen).
router = APIRouter(tags=["products"], responses=COMMAND_ERRORS)
Write = Annotated[Metadata, Depends(write_metadata("sales:write"))]
Products = Annotated[CommandHandler[Product, ProductCommand], Depends(handler_of(product_decider))]
SkuPath = Annotated[str, Path(min_length=1, max_length=64)]


class AddProductRequest(RequestBody):
    sku: Line = bounded(SKU, examples=["LAMP-1"])
    name: Line = bounded(PRODUCT_NAME)
    category: Line = bounded(CATEGORY)
    prices: Prices = Field(
        description="List price per currency, in its minor units", examples=[{"EUR": "50.00"}]
    )
    tax_rate: Rate = Field(description="Percent, e.g. 21 for 21 % VAT")


class ChangeProductRequest(RequestBody):
    name: OptionalLine = optional(PRODUCT_NAME)
    category: OptionalLine = optional(CATEGORY)
    prices: Prices | None = Field(default=None, description="Replaces every list price")
    tax_rate: Rate | None = None


@router.post("/products", status_code=201, response_model=CommandAccepted)
async def add_product(
    body: AddProductRequest, metadata: Write, products: Products
) -> CommandAccepted:
    command = AddProduct(**body.model_dump())
    return await accept(products, stream_of(command.sku), command, metadata, CommandAccepted)


@router.patch("/products/{sku}", response_model=CommandAccepted, responses=SUBJECT_COMMAND_ERRORS)
async def change_product(
    sku: SkuPath, body: ChangeProductRequest, metadata: Write, products: Products
) -> CommandAccepted:
    command = ChangeProduct(sku=sku, **body.model_dump())
    return await accept(products, stream_of(sku), command, metadata, CommandAccepted)


@router.post(
    "/products/{sku}/deactivation", response_model=CommandAccepted, responses=SUBJECT_COMMAND_ERRORS
)
async def deactivate_product(sku: SkuPath, metadata: Write, products: Products) -> CommandAccepted:
    command = DeactivateProduct(sku=sku)
    return await accept(products, stream_of(sku), command, metadata, CommandAccepted)


@router.post(
    "/products/{sku}/reactivation", response_model=CommandAccepted, responses=SUBJECT_COMMAND_ERRORS
)
async def reactivate_product(sku: SkuPath, metadata: Write, products: Products) -> CommandAccepted:
    command = ReactivateProduct(sku=sku)
    return await accept(products, stream_of(sku), command, metadata, CommandAccepted)
