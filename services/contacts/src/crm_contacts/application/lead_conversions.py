"""A lead sales converted becomes a customer here (ADR 29): contacts learns of it from sales'
`LeadConverted` on Kafka and registers the new customer, the organisation of its company and
the link between them, or records on an existing customer that the lead was them.

Every step first reads whether it was done, so a redelivered event (at least once) or a retry
after a crash half-way changes nothing twice; the ids all come from the event, so every retry
names the same customers.
"""

from __future__ import annotations

import structlog
from crm_contacts_contracts.events import AcquisitionChannel, CustomerType, PartyKind
from crm_kernel.domain.envelope import Metadata
from crm_kernel.domain.errors import DomainError, GoneError
from crm_kernel.ports.keystore import KeyStore
from crm_sales_contracts.events import LeadChannel, LeadConverted

from crm_contacts.application.customers import Customers
from crm_contacts.application.organisations import Organisations
from crm_contacts.application.registration import Registration
from crm_contacts.domain.customer import AttachLead, RegisterCustomer

log = structlog.get_logger(__name__)

# How a lead's channel reads as contacts' acquisition channel; the 360 view keeps the lead's
# own channel and campaign as the customer's origin.
ACQUISITION: dict[LeadChannel, AcquisitionChannel] = {
    LeadChannel.REFERRAL: AcquisitionChannel.REFERRAL,
    LeadChannel.PARTNER: AcquisitionChannel.REFERRAL,
    LeadChannel.TRADE_FAIR: AcquisitionChannel.EVENT,
    LeadChannel.SOCIAL: AcquisitionChannel.SOCIAL_MEDIA,
    LeadChannel.CAMPAIGN: AcquisitionChannel.OTHER_AD,
}
ROLE = "contact"  # the role of a lead's person at its company
CONTACT_DETAILS = ("email", "phone")


class LeadConversions:
    def __init__(
        self,
        customers: Customers,
        registration: Registration,
        organisations: Organisations,
        keys: KeyStore,
    ) -> None:
        self._customers = customers
        self._registration = registration
        self._organisations = organisations
        self._keys = keys

    async def convert(self, converted: LeadConverted, metadata: Metadata) -> None:
        if not converted.new_customer:
            await self._attach(converted, metadata)
            return
        person = converted.person_name is not None
        if converted.new_organisation and converted.organisation_id is not None:
            await self._register(
                converted.organisation_id,
                PartyKind.ORGANISATION,
                converted.company_name,
                converted,
                metadata,
                contact_details=False,
            )
        await self._register(
            converted.customer_id,
            PartyKind.PERSON if person else PartyKind.ORGANISATION,
            converted.person_name if person else converted.company_name,
            converted,
            metadata,
            contact_details=True,
        )
        if person and converted.organisation_id is not None:
            await self._link(converted, metadata)

    async def _register(
        self,
        customer_id: str,
        kind: PartyKind,
        name: str | None,
        converted: LeadConverted,
        metadata: Metadata,
        *,
        contact_details: bool,
    ) -> None:
        if (await self._customers.state(customer_id)).registered:
            return  # registered by an earlier delivery
        if name is None:
            raise DomainError("the converted lead names no one to register", field="person_name")
        details = (
            {f: getattr(converted, f) for f in CONTACT_DETAILS if getattr(converted, f)}
            if contact_details
            else {}
        )
        business = kind is PartyKind.ORGANISATION or converted.organisation_id is not None
        command = RegisterCustomer(
            customer_id=customer_id,
            kind=kind,
            customer_type=CustomerType.BUSINESS if business else CustomerType.CONSUMER,
            name=name,
            acquisition_channel=ACQUISITION.get(converted.channel, AcquisitionChannel.OTHER),
            owner=converted.owner,
            **details,
        )
        try:
            await self._registration.register(command, metadata)
        except DomainError as error:
            if error.field not in CONTACT_DETAILS:
                raise
            # Sales keeps what the lead gave as given; a detail contacts refuses (not an
            # e-mail address, say) must not keep the customer out: registered without it.
            log.warning("lead conversion: contact detail refused", field=error.field)
            await self._registration.register(
                command.model_copy(update={error.field: None}), metadata
            )

    async def _link(self, converted: LeadConverted, metadata: Metadata) -> None:
        assert converted.organisation_id is not None
        state = await self._customers.state(converted.customer_id)
        if converted.organisation_id in state.organisations:
            return
        await self._organisations.link(
            converted.customer_id, converted.organisation_id, ROLE, metadata
        )

    async def _attach(self, converted: LeadConverted, metadata: Metadata) -> None:
        """The lead was an existing customer: recorded on the customer it was merged into, if
        it was; erased meanwhile, the lead's data goes with them."""
        survivor, state = await self._customers.resolve(converted.customer_id)
        if state.erased:
            await self._keys.delete(converted.prospect_id)
            log.info("lead conversion onto an erased customer: the lead's key shredded")
            return
        command = AttachLead(
            customer_id=survivor, lead_id=converted.lead_id, prospect_id=converted.prospect_id
        )
        try:
            await self._customers.handle(command, metadata)
        except GoneError:
            if not (await self._customers.state(survivor)).erased:
                raise
            await self._keys.delete(converted.prospect_id)  # erased while we looked
        if converted.organisation_id is not None and state.kind is PartyKind.PERSON:
            await self._link(converted.model_copy(update={"customer_id": survivor}), metadata)
