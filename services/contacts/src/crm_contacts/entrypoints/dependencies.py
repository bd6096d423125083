"""What the contacts routes need: the use cases, the command handlers, the caller, and the
command metadata, each typed."""

from __future__ import annotations

from typing import Annotated

from crm_kernel.application import CommandHandler
from crm_kernel.auth import Principal
from crm_kernel.domain.envelope import Metadata
from crm_kernel.http import require_scope, write_metadata
from crm_kernel.runtime import handler_of
from fastapi import Depends, Request

from crm_contacts.application.use_cases import ContactsUseCases
from crm_contacts.domain.activity import Activity, ActivityCommand, activity_decider
from crm_contacts.domain.customer import Command, Customer, customer_decider
from crm_contacts.domain.interaction import (
    Interaction,
    InteractionCommand,
    interaction_decider,
)


async def use_cases(request: Request) -> ContactsUseCases:
    found: ContactsUseCases = request.app.state.contacts
    return found


UseCases = Annotated[ContactsUseCases, Depends(use_cases)]
CustomerHandler = Annotated[
    CommandHandler[Customer, Command], Depends(handler_of(customer_decider))
]
InteractionHandler = Annotated[
    CommandHandler[Interaction, InteractionCommand], Depends(handler_of(interaction_decider))
]
ActivityHandler = Annotated[
    CommandHandler[Activity, ActivityCommand], Depends(handler_of(activity_decider))
]
Meta = Annotated[Metadata, Depends(write_metadata("contacts:write"))]
Reader = Annotated[Principal, Depends(require_scope("contacts:read"))]
