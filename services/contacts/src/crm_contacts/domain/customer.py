"""The customer aggregate: commands, state and the pure decider."""

from __future__ import annotations

from dataclasses import dataclass

from crm_kernel.contracts.contacts import CustomerRegistered, CustomerType, PartyKind
from crm_kernel.domain.decider import Decider
from crm_kernel.domain.errors import ConflictError
from crm_kernel.domain.events import DomainEvent
from pydantic import BaseModel, ConfigDict


def stream_of(customer_id: str) -> str:
    return f"customer-{customer_id}"


class RegisterCustomer(BaseModel):
    model_config = ConfigDict(frozen=True)

    customer_id: str
    kind: PartyKind
    customer_type: CustomerType
    name: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Customer:
    registered: bool = False


def decide(state: Customer, command: RegisterCustomer) -> list[DomainEvent]:
    if state.registered:
        raise ConflictError(f"customer {command.customer_id} is already registered")
    return [CustomerRegistered(**command.model_dump())]


def evolve(state: Customer, event: DomainEvent) -> Customer:
    if isinstance(event, CustomerRegistered):
        return Customer(registered=True)
    return state


customer_decider: Decider[Customer, RegisterCustomer] = Decider(
    initial_state=Customer, decide=decide, evolve=evolve
)
