"""The contacts use cases that need more than the command's own stream, built on the service's
command handlers and ports (real adapters in bootstrap, fakes in the unit tests)."""

from __future__ import annotations

from dataclasses import dataclass

from crm_kernel.application import CommandHandlers
from crm_kernel.ports.eventstore import EventStore
from crm_kernel.ports.keystore import KeyStore

from crm_contacts.application.customers import Customers
from crm_contacts.application.erasure import Erasure
from crm_contacts.application.export import Export
from crm_contacts.application.interactions import ActivityScheduling, InteractionLogging
from crm_contacts.application.lead_conversions import LeadConversions
from crm_contacts.application.merging import Merging
from crm_contacts.application.organisations import Organisations
from crm_contacts.application.ports import DuplicateLookup
from crm_contacts.application.registration import Registration
from crm_contacts.domain.activity import activity_decider
from crm_contacts.domain.customer import customer_decider
from crm_contacts.domain.interaction import interaction_decider


@dataclass(frozen=True)
class ContactsUseCases:
    customers: Customers
    registration: Registration
    organisations: Organisations
    merging: Merging
    erasure: Erasure
    interactions: InteractionLogging
    activities: ActivityScheduling
    export: Export
    lead_conversions: LeadConversions


def contacts_use_cases(
    handlers: CommandHandlers, index: DuplicateLookup, keys: KeyStore, store: EventStore
) -> ContactsUseCases:
    customers = Customers(handlers.of(customer_decider))
    registration = Registration(customers, index)
    organisations = Organisations(customers, index)
    return ContactsUseCases(
        customers=customers,
        registration=registration,
        organisations=organisations,
        merging=Merging(customers, index),
        erasure=Erasure(customers, index, keys),
        interactions=InteractionLogging(customers, handlers.of(interaction_decider)),
        activities=ActivityScheduling(customers, handlers.of(activity_decider)),
        export=Export(customers, store, keys),
        lead_conversions=LeadConversions(customers, registration, organisations, keys),
    )
