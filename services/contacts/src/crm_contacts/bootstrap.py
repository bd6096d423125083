"""Composition root of the contacts service."""

from __future__ import annotations

from crm_kernel.runtime import WriteService, build_write_service
from crm_kernel.settings import ServiceSettings

from crm_contacts.adapters.duplicate_index import MongoDuplicateIndex
from crm_contacts.adapters.upgrades import MongoUpgrades
from crm_contacts.application.key_tombstones import tombstone_earlier_erasures
from crm_contacts.application.use_cases import contacts_use_cases
from crm_contacts.entrypoints import customers, interactions, lead_conversions
from crm_contacts.entrypoints.ingest import subscribe_ingest
from crm_contacts.entrypoints.lead_conversions import subscribe_conversions


def create_service(settings: ServiceSettings | None = None) -> WriteService:
    settings = settings or ServiceSettings()
    service = build_write_service(
        "contacts",
        [customers.router, interactions.router],
        settings,
        extra_topics=[lead_conversions.REJECTED_TOPIC, lead_conversions.DEAD_LETTERS],
        background=[_tombstones],
    )
    index = MongoDuplicateIndex(service.database, service.keys)
    use_cases = contacts_use_cases(service.handlers, index, service.keys, service.store)
    service.app.state.contacts = use_cases
    stall_s = settings.consumer_stall_s
    service.take_ingest(subscribe_ingest(service.broker, use_cases.interactions, stall_s))
    service.watch(
        subscribe_conversions(service.broker, use_cases.lead_conversions, service.keys, stall_s)
    )
    return service


async def _tombstones(service: WriteService) -> int:
    return await tombstone_earlier_erasures(
        service.store, service.keys, MongoUpgrades(service.database)
    )
