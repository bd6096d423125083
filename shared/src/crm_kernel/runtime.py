"""Composition of a write service: the parts every bounded context wires the same way.

Nothing connects at import time: `build_write_service` returns an app whose
lifespan opens MongoDB and Kafka, and closes them on shutdown.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog
from fastapi import APIRouter, FastAPI, Request
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from crm_kernel.adapters.kafka_ingest import IngestConsumer
from crm_kernel.adapters.kafka_publisher import TopicPublisher, declare_event_publisher, new_broker
from crm_kernel.adapters.kafka_topics import EVENT_TOPICS, ensure_topics
from crm_kernel.adapters.kafka_watchdog import ConsumerWatchdog, WatchedConsumer, watchdog_for
from crm_kernel.adapters.mongo import mongo_client, vault_client
from crm_kernel.adapters.mongo_deadlines import MongoDeadlineStore
from crm_kernel.adapters.mongo_eventstore import MongoEventStore
from crm_kernel.adapters.mongo_keystore import MongoKeyStore
from crm_kernel.adapters.mongo_revocations import MongoRevocations
from crm_kernel.adapters.mongo_snapshots import MongoSnapshotStore
from crm_kernel.application import CommandHandler, CommandHandlers
from crm_kernel.deadline import RequestDeadline
from crm_kernel.deadline_scheduler import DeadlineScheduler, Handler
from crm_kernel.domain.decider import Decider
from crm_kernel.domain.envelope import topic_for
from crm_kernel.http import ReadinessCheck, create_app
from crm_kernel.logging import configure_logging
from crm_kernel.relay import Relay
from crm_kernel.settings import ServiceSettings
from crm_kernel.tokens import TokenAuth

S = TypeVar("S")
C = TypeVar("C")

log = structlog.get_logger(__name__)


def asyncapi_document(broker: KafkaBroker, service: str) -> dict[str, Any]:
    spec = AsyncAPI(broker, title=f"crm-{service}", version="1.0.0").to_specification()
    return spec.to_jsonable()  # type: ignore[no-any-return]


def readiness_checks(
    mongo: AsyncMongoClient[dict[str, Any]],
    broker: KafkaBroker,
    settings: ServiceSettings,
    vault: AsyncMongoClient[dict[str, Any]] | None = None,
) -> list[ReadinessCheck]:
    """/health/ready answers 200 only while MongoDB and Kafka (and a key store of its own,
    `vault`) answer."""

    async def mongodb() -> None:
        await mongo.admin.command("ping")

    async def kafka() -> None:
        if not await broker.ping(timeout=settings.readiness_timeout_s):
            raise ConnectionError(f"Kafka at {settings.kafka_bootstrap} does not answer")

    checks: list[ReadinessCheck] = [mongodb, kafka]
    if vault is not None and vault is not mongo:

        async def key_store() -> None:
            await vault.admin.command("ping")

        checks.append(key_store)
    return checks


def handler_of(decider: Decider[S, C]) -> Callable[[Request], Awaitable[CommandHandler[S, C]]]:
    """FastAPI dependency: this service's command handler for `decider`, typed by it."""

    async def get(request: Request) -> CommandHandler[S, C]:
        handlers: CommandHandlers = request.app.state.handlers
        return handlers.of(decider)

    return get


@dataclass
class WriteService:
    app: FastAPI
    broker: KafkaBroker
    handlers: CommandHandlers
    store: MongoEventStore
    keys: MongoKeyStore
    database: AsyncDatabase[dict[str, Any]]
    settings: ServiceSettings
    deadlines: MongoDeadlineStore  # the timed policies' deadlines (ADR 44)
    readiness: list[ReadinessCheck] = field(default_factory=list)
    watchdogs: list[ConsumerWatchdog] = field(default_factory=list)
    # Created and run by the lifespan; `take_ingest` adds to both.
    topics: list[str] = field(default_factory=list)
    background: list[Callable[[WriteService], Awaitable[object]]] = field(default_factory=list)

    def raise_deadlines(self, handlers: Mapping[str, Handler]) -> None:
        """Run the kernel's deadline scheduler (ADR 44) over this service's deadlines, raising
        each kind with its handler, every CRM_DEADLINE_INTERVAL_S seconds."""
        store = self.deadlines
        scheduler = DeadlineScheduler(store, handlers)

        async def run(service: WriteService) -> None:
            await store.ensure_indexes()
            await scheduler.run(service.settings.deadline_interval_s)

        self.background.append(run)

    def watch(self, consumer: WatchedConsumer) -> None:
        """Give a group consumer of this service a watchdog (ADR 24), run beside it, and its
        stall a say in readiness."""
        watchdog = watchdog_for(consumer, self.settings.kafka_bootstrap)
        self.watchdogs.append(watchdog)
        self.readiness.append(watchdog.check)

    def take_ingest(self, ingest: IngestConsumer) -> None:
        """An ingest topic of this service: its topics created, its consumer watched (ADR 24),
        and the records it handled deleted from the topic (ADR 18)."""
        self.topics += [ingest.topics.topic, ingest.topics.rejected]
        self.watch(ingest.consumer)

        async def purge(service: WriteService) -> None:
            await ingest.purge(service.settings.kafka_bootstrap)

        self.background.append(purge)


def build_write_service(
    context: str,
    routers: Sequence[APIRouter],
    settings: ServiceSettings | None = None,
    extra_topics: Sequence[str] = (),
    background: Sequence[Callable[[WriteService], Awaitable[object]]] = (),
) -> WriteService:
    """`background` jobs start once the store and broker answer and run beside the service
    (e.g. one-off upgrades of its data, which must not hold up health checks); a failure is
    logged, and the job runs again at the next start."""
    settings = settings or ServiceSettings()
    broker = new_broker(settings.kafka_bootstrap, client_id=f"crm-{context}")
    topic_publisher = TopicPublisher(declare_event_publisher(broker, context), topic_for(context))
    mongo = mongo_client(settings.mongo_url, settings, connect=False)
    database = mongo[settings.database_for(context)]
    store = MongoEventStore(database, recent_commits=settings.recent_commits)
    vault = vault_client(settings, mongo, connect=False)
    keys = MongoKeyStore(vault[settings.vault_database])
    snapshots = MongoSnapshotStore(database)  # beside the events: reset and wiped with them
    relay = Relay(store, topic_publisher, publish_timeout_s=settings.publish_timeout_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await store.ensure_indexes()
        await ensure_topics(
            settings.kafka_bootstrap, [*EVENT_TOPICS, *service.topics], settings.topic_partitions
        )
        await broker.start()
        jobs = [asyncio.create_task(_logged(job(service))) for job in service.background]
        jobs += [asyncio.create_task(watchdog.run()) for watchdog in service.watchdogs]
        stop = asyncio.Event()
        sweeper = asyncio.create_task(relay.run(settings.relay_interval_s, stop))
        try:
            yield
        finally:
            for job_task in jobs:
                job_task.cancel()
            stop.set()
            with suppress(asyncio.CancelledError):
                await sweeper
            await broker.stop()
            await mongo.close()
            if vault is not mongo:
                await vault.close()

    readiness = readiness_checks(mongo, broker, settings, vault)
    app = create_app(
        title=f"CRM {context}",
        auth=TokenAuth.of(settings, MongoRevocations(vault[settings.vault_database])),
        lifespan=lifespan,
        readiness=readiness,  # the list itself: consumers watched later add to it
        readiness_timeout_s=settings.readiness_timeout_s,
    )
    handlers = CommandHandlers(
        source=f"crm.{context}",
        store=store,
        keys=keys,
        relay=relay,
        snapshots=snapshots,
        snapshot_interval=settings.snapshot_interval,
    )
    app.state.handlers = handlers
    app.add_middleware(RequestDeadline, seconds=settings.request_timeout_s)
    for router in routers:
        app.include_router(router)
    service = WriteService(
        app=app,
        broker=broker,
        handlers=handlers,
        store=store,
        keys=keys,
        database=database,
        settings=settings,
        readiness=readiness,
        topics=list(extra_topics),
        background=list(background),
        deadlines=MongoDeadlineStore(database),
    )
    return service


async def _logged(job: Awaitable[object]) -> None:
    try:
        result = await job
        log.info("background job done", result=result)
    except Exception as error:
        log.error("background job failed; it runs again at the next start", error=str(error))


def serve(context: str, app: FastAPI, settings: ServiceSettings) -> None:
    """Run one service's HTTP API (and its Kafka clients, via the lifespan) until stopped."""
    import uvicorn

    from crm_kernel.settings import DEFAULT_PORTS

    configure_logging(context, settings.log_level, repeat_interval_s=settings.log_repeat_interval_s)
    # Everything built so far (modules, models, routes: ~50,000 objects) lives as long as the
    # process. Frozen, the collector stops walking it at every full collection, which
    # otherwise paused the event loop for tens of milliseconds each time.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port or DEFAULT_PORTS[context],
        log_config=None,
        access_log=False,
        server_header=False,  # no banner naming the server software
    )
