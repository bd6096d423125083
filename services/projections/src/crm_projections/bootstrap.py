"""Composition root of the projections service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from crm_kernel.adapters.kafka_publisher import new_broker
from crm_kernel.adapters.kafka_subscriber import (
    BatchHealth,
    Fetch,
    KafkaDeadLetters,
    subscribe_batches,
)
from crm_kernel.adapters.kafka_topics import (
    EVENT_TOPICS,
    dead_letter_topic,
    ensure_topics,
    partitions_of,
)
from crm_kernel.adapters.kafka_watchdog import ConsumerWatchdog, watchdog_for
from crm_kernel.adapters.mongo import mongo_client, vault_client
from crm_kernel.adapters.mongo_keystore import MongoKeyStore
from crm_kernel.adapters.mongo_revocations import MongoRevocations
from crm_kernel.http import ReadinessCheck, create_app
from crm_kernel.runtime import readiness_checks
from crm_kernel.settings import ServiceSettings
from crm_kernel.tokens import TokenAuth
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from crm_projections.adapters.databases import ActiveDatabase
from crm_projections.adapters.partition_ownership import PartitionOwnership
from crm_projections.adapters.read_models import ReadModels
from crm_projections.application.projectors import DocumentStores, Projectors
from crm_projections.application.read_your_writes import ReadYourWrites
from crm_projections.application.remembered_first import RememberedFirst
from crm_projections.application.write_signals import WriteSignals
from crm_projections.entrypoints import (
    campaign_results,
    pipeline,
    quotes,
    receivables,
    service_levels,
)
from crm_projections.entrypoints.http import router

CONTEXT = "projections"
LIVE_GROUP = "crm-projections"


@dataclass
class ProjectionsService:
    app: FastAPI
    broker: KafkaBroker
    projectors: Projectors
    models: ReadModels
    database: ActiveDatabase
    mongo: AsyncMongoClient[dict[str, Any]]
    watchdog: ConsumerWatchdog


def create_service(settings: ServiceSettings | None = None) -> ProjectionsService:
    settings = settings or ServiceSettings()
    broker = new_broker(settings.kafka_bootstrap, client_id=f"crm-{CONTEXT}")
    mongo, projector_mongo = (
        mongo_client(settings.mongo_url, settings, connect=False) for _ in range(2)
    )
    vault, projector_vault = (
        vault_client(settings, client, connect=False) for client in (mongo, projector_mongo)
    )
    keys_database = vault[settings.vault_database]
    keys = MongoKeyStore(keys_database)
    # Documents remembered for read-your-writes are dropped whenever this instance's
    # partitions or the active database change (ADR 9).
    signals = WriteSignals(
        remembered=settings.remembered_documents,
        remember_if=lambda customer_id: ownership.projects(customer_id),
    )
    ownership = PartitionOwnership(on_change=signals.forget)
    database = ActiveDatabase(mongo, settings.database_for(CONTEXT), on_change=signals.forget)
    models = ReadModels.on(database)
    # The projector has a connection pool of its own: readers waiting for their writes must
    # never queue the projector's reads and writes behind theirs.
    projector_database = ActiveDatabase(
        projector_mongo, settings.database_for(CONTEXT), on_change=signals.forget
    )
    projector_models = ReadModels.on(projector_database)
    projectors = Projectors(
        customers=RememberedFirst(projector_models.customers, signals),
        redirects=projector_models.redirects,
        documents=DocumentStores(
            activities=projector_models.activities,
            opportunities=projector_models.opportunities,
            leads=projector_models.leads,
            quotes=projector_models.quotes,
            receivables=projector_models.receivables,
            service_levels=projector_models.service_levels,
            campaign_results=projector_models.campaign_results,
        ),
        timeline=projector_models.timeline,
        keys=MongoKeyStore(projector_vault[settings.vault_database]),
        on_written=signals.notify,
    )
    dlt = dead_letter_topic(CONTEXT)
    health = BatchHealth()
    consumer = subscribe_batches(
        broker,
        topics=EVENT_TOPICS,
        group_id=settings.consumer_group or LIVE_GROUP,
        handler=projectors.handle,
        dead_letters=KafkaDeadLetters(broker, dlt),
        listener=ownership,
        fetch=Fetch(max_wait_ms=settings.fetch_max_wait_ms),
        session_timeout_ms=settings.consumer_session_timeout_ms,
        health=health,
        stall_after_s=settings.consumer_stall_s,
    )
    watchdog = watchdog_for(consumer, settings.kafka_bootstrap)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await ensure_topics(
            settings.kafka_bootstrap, [*EVENT_TOPICS, dlt], settings.topic_partitions
        )
        ownership.know_topics(await partitions_of(settings.kafka_bootstrap, list(EVENT_TOPICS)))
        await models.timeline.ensure_indexes()
        await broker.start()
        try:
            async with watchdog.watching():
                yield
        finally:
            await broker.stop()
            for client in {
                id(c): c for c in (mongo, projector_mongo, vault, projector_vault)
            }.values():
                await client.close()

    app = create_app(
        title="CRM projections",
        auth=TokenAuth.of(settings, MongoRevocations(keys_database)),
        lifespan=lifespan,
        readiness=[
            *readiness_checks(mongo, broker, settings, vault),
            _projector(health),
            watchdog.check,
        ],
    )
    app.state.models = models
    app.state.read_your_writes = ReadYourWrites(models.customers, signals, ownership)
    app.state.keys = keys
    app.include_router(router)
    app.include_router(pipeline.router)
    app.include_router(quotes.router)
    app.include_router(receivables.router)
    app.include_router(service_levels.router)
    app.include_router(campaign_results.router)
    return ProjectionsService(
        app=app,
        broker=broker,
        projectors=projectors,
        models=models,
        database=database,
        mongo=mongo,
        watchdog=watchdog,
    )


def _projector(health: BatchHealth) -> ReadinessCheck:
    async def projector() -> None:
        await health.check()

    return projector
