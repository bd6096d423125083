"""Helpers shared by the integration and end-to-end tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, TypeVar

import jwt
from crm_contacts.domain.customer import customer_decider
from crm_kernel.adapters.kafka_publisher import TopicPublisher, declare_event_publisher, new_broker
from crm_kernel.adapters.kafka_topics import (
    EVENT_TOPICS,
    ensure_topics,
    partitions_of,
    records_behind,
)
from crm_kernel.application import CommandHandler
from crm_kernel.auth import SigningKey, issue_token, public_key_set
from crm_kernel.contexts import CONTEXTS
from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.relay import Relay
from crm_kernel.settings import ServiceSettings
from crm_kernel.tokens import TokenAuth
from pymongo import AsyncMongoClient

T = TypeVar("T")
# The tests' issuer key (private: it signs every test token) and the public key set that the
# services under test verify with.
SECRET = SigningKey.generate()
JWKS = public_key_set([SECRET])
HOUR = timedelta(hours=1)


def settings_for(infra: Any, unique: str, **overrides: Any) -> ServiceSettings:
    return ServiceSettings(
        kafka_bootstrap=infra.kafka_bootstrap,
        mongo_url=infra.mongo_url,
        auth_jwks=JWKS,
        database=f"t_{unique}",
        vault_database=f"t_vault_{unique}",
        consumer_group=f"t-projections-{unique}",
        relay_interval_s=0.2,
        **overrides,
    )


def forgeries(trusted: SigningKey, scopes: list[str]) -> dict[str, tuple[str, str]]:
    """Tokens for `scopes` that a service trusting `trusted` must refuse, by what is wrong with
    each: the token and what its refusal says."""
    now = int(time.time())
    claims = {"aud": "crm", "sub": "eve", "iat": now, "exp": now + 600, "jti": "forged"}
    claims["scope"] = " ".join(scopes)
    stranger = SigningKey.generate()
    impostor = SigningKey(trusted.kid, stranger.key, 0)  # the trusted kid, another key
    public_x = trusted.public_jwk()["x"].encode()  # what a confused verifier takes as secret
    kid = {"kid": trusted.kid}
    return {
        "another key": (issue_token(stranger, "eve", scopes, HOUR), "not in this service's key"),
        "another key under a trusted kid": (issue_token(impostor, "eve", scopes, HOUR), "match"),
        "no kid": (jwt.encode(claims, trusted.key, algorithm="EdDSA"), "names no key"),
        **{
            algorithm: (
                jwt.encode(claims, public_x, algorithm=algorithm, headers=kid),
                f"this one with {algorithm}",
            )
            for algorithm in ("HS256", "HS512")
        },
        "none": (jwt.encode(claims, None, algorithm="none", headers=kid), "this one with none"),
    }


def mongo(infra: Any) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(infra.mongo_url, tz_aware=True)


async def wait_for(
    probe: Callable[[], Awaitable[T | None]], timeout_s: float = 30.0, what: str = "condition"
) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        found = await probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout_s}s")
        await asyncio.sleep(0.1)


@asynccontextmanager
async def publisher(
    bootstrap: str,
) -> AsyncIterator[Callable[[list[EventEnvelope]], Awaitable[None]]]:
    broker = new_broker(bootstrap, client_id="crm-tests")
    topics = {
        c: TopicPublisher(declare_event_publisher(broker, c), f"crm.{c}.events") for c in CONTEXTS
    }
    await ensure_topics(bootstrap, list(EVENT_TOPICS), 3)
    await broker.start()

    async def publish(envelopes: list[EventEnvelope]) -> None:
        for envelope in envelopes:
            await topics[envelope.context].publish([envelope])

    try:
        yield publish
    finally:
        await broker.stop()


@asynccontextmanager
async def running_projections(settings: ServiceSettings) -> AsyncIterator[Any]:
    """The projections service's consumer, in this process, until the block ends."""
    from crm_projections.bootstrap import create_service

    service = create_service(settings)
    await ensure_topics(settings.kafka_bootstrap, [*EVENT_TOPICS, "crm.projections.dlt"], 3)
    await service.broker.start()
    try:
        yield service
    finally:
        await service.broker.stop()


async def group_caught_up(
    bootstrap: str, group: str, topics: tuple[str, ...] = EVENT_TOPICS
) -> bool:
    """True when the group's committed offsets reach the end of every partition (the lag
    probe the consumer watchdog uses, ADR 24)."""
    partitions = await partitions_of(bootstrap, list(topics))
    return await records_behind(bootstrap, group, set(partitions)) == 0


def customer_commands(store: Any, keys: Any, publisher: Any) -> CommandHandler[Any, Any]:
    """The contacts customer handler over the given store, keys and publisher."""
    return CommandHandler(
        source="crm.contacts",
        decider=customer_decider,
        store=store,
        keys=keys,
        relay=Relay(store, publisher),
    )


async def differences(left: Any, right: Any) -> list[str]:
    """Every read model of two databases compared (normalised hashes, as `crm projections
    verify` does); for each collection that differs, what differs and the first differing
    pair of documents field by field, so a failure says why."""
    from crm_projections.adapters.read_models import COLLECTIONS
    from crm_projections.application.verify import compare

    said = []
    for report in await compare(left, right, COLLECTIONS):
        if report.equal:
            continue
        line = (
            f"{report.name}: different {report.different[:5]}, only left "
            f"{report.only_left[:5]}, only right {report.only_right[:5]}"
        )
        if report.different:
            id_ = report.different[0]
            a = await left[report.name].find_one({"_id": id_}) or {}
            b = await right[report.name].find_one({"_id": id_}) or {}
            fields = sorted({*a, *b} - {"_rev", "_w"})
            line += "; first: " + "; ".join(
                f"{k}: {a.get(k)!r} != {b.get(k)!r}" for k in fields if a.get(k) != b.get(k)
            )
        said.append(line)
    return said


def bare_app() -> Any:
    """A kernel app with no routes of its own, for tests of the HTTP shell."""
    from contextlib import asynccontextmanager

    from crm_kernel.http import create_app

    @asynccontextmanager
    async def nothing(_: Any) -> AsyncIterator[None]:
        yield

    return create_app(title="t", auth=auth_for_tests(), lifespan=nothing, readiness=[])


def auth_for_tests() -> TokenAuth:
    """Token verification for apps built in a test: the tests' key set, no revocations."""
    return TokenAuth.of(ServiceSettings(auth_jwks=JWKS))
