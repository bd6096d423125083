"""Composition root of the projections service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from crm_kernel.adapters.mongo_keystore import MongoKeyStore
from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.http import create_app
from crm_kernel.publisher import new_broker
from crm_kernel.runtime import readiness_checks
from crm_kernel.settings import ServiceSettings
from crm_kernel.subscriber import KafkaDeadLetters, subscribe_batches
from crm_kernel.topics import EVENT_TOPICS, dead_letter_topic, ensure_topics
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from crm_projections.adapters.read_store import MongoReadStore, MongoRedirects
from crm_projections.application.documents import DocumentProjector
from crm_projections.application.projector import Customer360Projector
from crm_projections.domain import activities as activities_model
from crm_projections.entrypoints.http import router

CONTEXT = "projections"


@dataclass
class ProjectionsService:
    app: FastAPI
    broker: KafkaBroker
    projector: Customer360Projector
    read_store: MongoReadStore
    redirects: MongoRedirects
    activities: MongoReadStore


def create_service(settings: ServiceSettings | None = None) -> ProjectionsService:
    settings = settings or ServiceSettings()
    group = settings.consumer_group or "crm-projections"
    broker = new_broker(settings.kafka_bootstrap, client_id=f"crm-{CONTEXT}")
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongo_url, tz_aware=True, connect=False
    )
    database = mongo[settings.database_for(CONTEXT)]
    read_store = MongoReadStore(database["customer_360"])
    redirects = MongoRedirects(database["customer_redirects"])
    activities = MongoReadStore(database["activities"])
    projector = Customer360Projector(
        read_store, redirects, MongoKeyStore(mongo[settings.vault_database])
    )
    calendar = DocumentProjector(
        activities, activities_model.key, activities_model.empty, activities_model.fold
    )

    async def project(envelopes: list[EventEnvelope]) -> None:
        await projector.handle(envelopes)
        await calendar.handle(envelopes)

    dlt = dead_letter_topic(CONTEXT)
    subscribe_batches(
        broker,
        topics=EVENT_TOPICS,
        group_id=group,
        handler=project,
        dead_letters=KafkaDeadLetters(broker, dlt),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await ensure_topics(
            settings.kafka_bootstrap, [*EVENT_TOPICS, dlt], settings.topic_partitions
        )
        await broker.start()
        try:
            yield
        finally:
            await broker.stop()
            await mongo.close()

    app = create_app(
        title="CRM projections",
        auth_secret=settings.auth_secret.get_secret_value(),
        lifespan=lifespan,
        readiness=readiness_checks(mongo, broker, settings),
    )
    app.state.read_store = read_store
    app.state.redirects = redirects
    app.state.activities = activities
    app.include_router(router)
    return ProjectionsService(
        app=app,
        broker=broker,
        projector=projector,
        read_store=read_store,
        redirects=redirects,
        activities=activities,
    )
