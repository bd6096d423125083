"""What every contacts route needs: the use cases, the caller, and the command metadata."""

from __future__ import annotations

from typing import Annotated

from crm_kernel.auth import Principal
from crm_kernel.domain.envelope import Metadata
from crm_kernel.http import command_metadata, require_scope
from fastapi import Depends, Request

from crm_contacts.application.contacts import ContactsApp


async def contacts_app(request: Request) -> ContactsApp:
    app: ContactsApp = request.app.state.contacts
    return app


async def writer_metadata(
    request: Request, principal: Annotated[Principal, Depends(require_scope("contacts:write"))]
) -> Metadata:
    return command_metadata(request, principal)


App = Annotated[ContactsApp, Depends(contacts_app)]
Meta = Annotated[Metadata, Depends(writer_metadata)]
Reader = Annotated[Principal, Depends(require_scope("contacts:read"))]
