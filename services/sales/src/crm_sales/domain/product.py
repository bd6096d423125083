"""The product aggregate: one stream per sku in the catalogue.

    command      from        to / records
    add          (none yet)  active, with name, category, prices per currency, tax rate
    change       any         the fields after the change (those not given stay)
    deactivate   active      inactive: no new quote or order line may take it
    reactivate   inactive    active

A value a command already holds records nothing; a price with more decimals than its currency
has (1.5 yen) is a 422. Quotes and orders read a product for their lines' defaults; what they
priced stays as priced when the product changes later.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import ConflictError, DomainError, NotFoundError
from crm_kernel.domain.events import DomainEvent
from crm_kernel.text import collapse_spaces
from crm_sales_contracts.events import (
    ProductAdded,
    ProductChanged,
    ProductDeactivated,
    ProductReactivated,
)
from pydantic import BaseModel, ConfigDict

from crm_sales.domain.money import exact


def stream_of(sku: str) -> str:
    # Stream ids allow letters, digits, '_' and '-' (read-model keys): other sku characters
    # are spelled out as their code point.
    safe = "".join(
        c if c.isascii() and (c.isalnum() or c in "_-") else f"_{ord(c):x}_" for c in sku
    )
    return f"product-{safe}"


def _safe(character: str) -> bool:
    return character.isascii() and (character.isalnum() or character in "_-")


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str


class AddProduct(Command):
    name: str
    category: str
    prices: dict[str, Decimal]
    tax_rate: Decimal


class ChangeProduct(Command):
    name: str | None = None
    category: str | None = None
    prices: dict[str, Decimal] | None = None
    tax_rate: Decimal | None = None


class DeactivateProduct(Command):
    pass


class ReactivateProduct(Command):
    pass


ProductCommand = AddProduct | ChangeProduct | DeactivateProduct | ReactivateProduct


@dataclass(frozen=True)
class Product:
    sku: str = ""
    name: str = ""
    category: str = ""
    prices: tuple[tuple[str, Decimal], ...] = ()
    tax_rate: Decimal = Decimal(0)
    active: bool = False
    added: bool = False

    def price_in(self, currency: str) -> Decimal | None:
        return dict(self.prices).get(currency)


def _text(value: str, field: str) -> str:
    text = collapse_spaces(value)
    if not text:
        raise DomainError(f"{field} must not be blank", field=field)
    return text


def _prices(prices: dict[str, Decimal]) -> dict[str, Decimal]:
    if not prices:
        raise DomainError("a product needs a list price in at least one currency", field="prices")
    return {c: exact(p, c, f"prices.{c}") for c, p in sorted(prices.items())}


def _added(state: Product, command: Command) -> None:
    if not state.added:
        raise NotFoundError(f"no product {command.sku} in the catalogue: add it first")


decide: Decisions[Product, ProductCommand] = Decisions()


@decide.on(AddProduct)
def add(state: Product, command: AddProduct) -> list[DomainEvent]:
    added = ProductAdded(
        sku=command.sku,
        name=_text(command.name, "name"),
        category=_text(command.category, "category"),
        prices=_prices(command.prices),
        tax_rate=command.tax_rate,
    )
    if state.added:
        if (state.name, state.category, dict(state.prices), state.tax_rate) == (
            added.name,
            added.category,
            added.prices,
            added.tax_rate,
        ):
            return []  # a retry
        raise ConflictError(f"product {command.sku} is in the catalogue already: change it")
    return [added]


@decide.on(ChangeProduct, guard=_added)
def change(state: Product, command: ChangeProduct) -> list[DomainEvent]:
    after = ProductChanged(
        sku=state.sku,
        name=state.name if command.name is None else _text(command.name, "name"),
        category=state.category
        if command.category is None
        else _text(command.category, "category"),
        prices=dict(state.prices) if command.prices is None else _prices(command.prices),
        tax_rate=state.tax_rate if command.tax_rate is None else command.tax_rate,
    )
    if (after.name, after.category, after.prices, after.tax_rate) == (
        state.name,
        state.category,
        dict(state.prices),
        state.tax_rate,
    ):
        return []
    return [after]


@decide.on(DeactivateProduct, guard=_added)
def deactivate(state: Product, command: DeactivateProduct) -> list[DomainEvent]:
    return [ProductDeactivated(sku=state.sku)] if state.active else []


@decide.on(ReactivateProduct, guard=_added)
def reactivate(state: Product, command: ReactivateProduct) -> list[DomainEvent]:
    return [] if state.active else [ProductReactivated(sku=state.sku)]


def evolve(state: Product, event: DomainEvent) -> Product:
    match event:
        case ProductAdded() | ProductChanged():
            return Product(
                sku=event.sku,
                name=event.name,
                category=event.category,
                prices=tuple(sorted(event.prices.items())),
                tax_rate=event.tax_rate,
                active=state.active or isinstance(event, ProductAdded),
                added=True,
            )
        case ProductDeactivated():
            return replace(state, active=False)
        case ProductReactivated():
            return replace(state, active=True)
    return state


product_decider: Decider[Product, ProductCommand] = Decider(
    initial_state=Product, decide=decide, evolve=evolve
)
