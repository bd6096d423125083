"""Linking a person to an organisation (and ending the link): the organisation's stream tells
whether it can be linked to, and the organisation's other contacts whether the person looks
like one of them."""

from __future__ import annotations

from crm_contacts_contracts.events import DuplicateReason
from crm_kernel.application import CommandResult
from crm_kernel.domain.envelope import Metadata

from crm_contacts.application.customers import Customers
from crm_contacts.application.duplicates import DuplicateReport, Outcome
from crm_contacts.application.ports import DuplicateLookup
from crm_contacts.domain.customer import (
    Customer,
    EndLinkToOrganisation,
    LinkToOrganisation,
    OrganisationFacts,
)


class Organisations:
    def __init__(self, customers: Customers, index: DuplicateLookup) -> None:
        self._customers = customers
        self._index = index
        self._duplicates = DuplicateReport(customers, index)

    async def link(
        self, customer_id: str, organisation_id: str, role: str, metadata: Metadata
    ) -> Outcome:
        org = await self._customers.state(organisation_id)
        facts = OrganisationFacts(
            registered=org.registered,
            is_organisation=org.is_organisation,
            erased_or_merged=org.gone,
        )
        command = LinkToOrganisation(
            customer_id=customer_id, organisation_id=organisation_id, role=role, organisation=facts
        )
        result = await self._customers.handle(command, metadata)
        person: Customer = result.state
        found = {
            other: DuplicateReason.SIMILAR_NAME_IN_ORGANISATION
            for other in await self._index.similar_members(organisation_id, person.name)
            if other != customer_id
        }
        await self._index.add_member(organisation_id, customer_id, person.name)
        return await self._duplicates.record(customer_id, found, metadata, result)

    async def end_link(
        self, customer_id: str, organisation_id: str, metadata: Metadata
    ) -> CommandResult:
        command = EndLinkToOrganisation(customer_id=customer_id, organisation_id=organisation_id)
        result = await self._customers.handle(command, metadata)
        await self._index.remove_member(organisation_id, customer_id)
        return result
