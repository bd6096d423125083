"""The global suppression list, one stream per customer (`suppression-<customer_id>`): a
suppressed customer is in no campaign's audience, whatever the consent says (ADR 52)."""

from __future__ import annotations

from dataclasses import dataclass

from crm_campaigns_contracts.events import CustomerSuppressed, CustomerUnsuppressed
from crm_kernel.domain.decider import Decider, Decisions
from crm_kernel.domain.events import DomainEvent
from pydantic import BaseModel, ConfigDict


def stream_of(customer_id: str) -> str:
    return f"suppression-{customer_id}"


class SetSuppressed(BaseModel):
    model_config = ConfigDict(frozen=True)

    customer_id: str
    suppressed: bool


@dataclass(frozen=True)
class Suppression:
    suppressed: bool = False


decide: Decisions[Suppression, SetSuppressed] = Decisions()


@decide.on(SetSuppressed)
def set_suppressed(state: Suppression, command: SetSuppressed) -> list[DomainEvent]:
    if state.suppressed == command.suppressed:
        return []
    made = CustomerSuppressed if command.suppressed else CustomerUnsuppressed
    return [made(customer_id=command.customer_id)]


def evolve(state: Suppression, event: DomainEvent) -> Suppression:
    if isinstance(event, CustomerSuppressed | CustomerUnsuppressed):
        return Suppression(suppressed=isinstance(event, CustomerSuppressed))
    return state


suppression_decider: Decider[Suppression, SetSuppressed] = Decider(
    initial_state=Suppression, decide=decide, evolve=evolve
)
