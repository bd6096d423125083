"""A product rating: a customer's stars for a product and their review, one stream per
rating (`rating-<id>`), recorded once (the same rating again records nothing, another under
the same id is refused). Independent of cases: a shop's review form sends them too."""

from __future__ import annotations

from dataclasses import dataclass

from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.errors import RefusedError
from crm_kernel.domain.events import DomainEvent
from crm_support_contracts.events import ProductRated
from pydantic import BaseModel, ConfigDict


def stream_of(rating_id: str) -> str:
    return f"rating-{rating_id}"


class RateProduct(BaseModel):
    model_config = ConfigDict(frozen=True)

    rating_id: str
    customer_id: str
    product_sku: str
    stars: int
    review: str | None = None


@dataclass(frozen=True)
class Rating:
    rated: ProductRated | None = None


decide: Decisions[Rating, RateProduct] = Decisions()


@decide.on(RateProduct)
def rate(state: Rating, command: RateProduct) -> list[DomainEvent]:
    rated = ProductRated(**command.model_dump())
    if state.rated is not None:
        if state.rated == rated:
            return []
        raise RefusedError(f"rating {command.rating_id} was recorded already, otherwise")
    return [rated]


def evolve(state: Rating, event: DomainEvent) -> Rating:
    return Rating(rated=event) if isinstance(event, ProductRated) else state


rating_decider: Decider[Rating, RateProduct] = Decider(
    initial_state=Rating, decide=decide, evolve=evolve
)
