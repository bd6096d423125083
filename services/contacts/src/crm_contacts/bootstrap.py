"""Composition root of the contacts service."""

from __future__ import annotations

from crm_kernel.adapters.kafka_handoff import keep_purging
from crm_kernel.runtime import WriteService, build_write_service
from crm_kernel.settings import ServiceSettings

from crm_contacts.adapters.duplicate_index import DuplicateIndex
from crm_contacts.adapters.key_tombstones import tombstone_earlier_erasures
from crm_contacts.application.contacts import ContactsApp
from crm_contacts.domain.activity import activity_decider
from crm_contacts.domain.customer import customer_decider
from crm_contacts.domain.interaction import interaction_decider
from crm_contacts.entrypoints import customers, interactions
from crm_contacts.entrypoints.ingest import GROUP, INGEST_TOPIC, REJECTED_TOPIC, subscribe_ingest

HANDOFF_PURGE_S = 2.0  # how long raw ingest messages outlive their handling, at most


def create_service(settings: ServiceSettings | None = None) -> WriteService:
    settings = settings or ServiceSettings()
    bootstrap = settings.kafka_bootstrap

    async def purge_ingest(_: WriteService) -> None:
        await keep_purging(bootstrap, INGEST_TOPIC, GROUP, interval_s=HANDOFF_PURGE_S)

    service = build_write_service(
        "contacts",
        {
            "customer": customer_decider,
            "interaction": interaction_decider,
            "activity": activity_decider,
        },
        [customers.router, interactions.router],
        settings,
        extra_topics=[INGEST_TOPIC, REJECTED_TOPIC],
        background=[_tombstones, purge_ingest],
    )
    app = ContactsApp(
        customers=service.handlers["customer"],
        interactions=service.handlers["interaction"],
        activities=service.handlers["activity"],
        index=DuplicateIndex(service.database, service.keys),
        keys=service.keys,
        store=service.store,
    )
    service.app.state.contacts = app
    subscribe_ingest(service.broker, app)
    return service


async def _tombstones(service: WriteService) -> int:
    return await tombstone_earlier_erasures(service.database, service.keys)
