"""HTTP API of the contacts context: translates requests into commands."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid4

from crm_kernel.application import CommandHandler
from crm_kernel.auth import Principal
from crm_kernel.contracts.contacts import CustomerType, PartyKind
from crm_kernel.http import CommandAccepted, command_metadata, require_scope
from crm_kernel.runtime import handler_for
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, field_validator

from crm_contacts.domain.contact_points import normalise_email, normalise_phone
from crm_contacts.domain.customer import RegisterCustomer, stream_of

router = APIRouter(tags=["customers"])
Writer = Annotated[Principal, Depends(require_scope("contacts:write"))]
Customers = Annotated[CommandHandler[Any, Any], Depends(handler_for("customer"))]


class RegisterCustomerRequest(BaseModel):
    customer_id: UUID = Field(default_factory=uuid4, description="Give one to make retries safe")
    kind: PartyKind = PartyKind.PERSON
    customer_type: CustomerType = CustomerType.CONSUMER
    name: str = Field(min_length=1, max_length=200)
    email: str | None = None
    phone: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be blank")
        return value.strip()

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else normalise_email(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else normalise_phone(value)


class CustomerRegisteredResponse(CommandAccepted):
    customer_id: UUID


@router.post("/customers", status_code=201, response_model=CustomerRegisteredResponse)
async def register_customer(
    body: RegisterCustomerRequest, request: Request, principal: Writer, customers: Customers
) -> CustomerRegisteredResponse:
    command = RegisterCustomer(**body.model_dump(mode="json"))
    result = await customers.handle(
        stream_of(command.customer_id), command, command_metadata(request, principal)
    )
    return CustomerRegisteredResponse(
        customer_id=body.customer_id, **CommandAccepted.of(result).model_dump()
    )
