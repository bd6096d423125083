"""Projector benchmark on the real broker and store (not a timed test).

Generates N events across many customers, then measures in one run on the same data:
  1. raw aiokafka consume-only throughput (baseline),
  2. raw PyMongo bulk_write(ordered=False) of the same final documents, then the read
     models' indexes built over them (baseline),
  3. the projector's replay throughput (same code as `crm projections rebuild`),
  4. live end-to-end latency, command accepted -> visible in the 360 view, at a fixed rate,
     on a mixed workload (a quarter each: registrations, orders, renames or tags,
     interactions, the last three on customers already in the store), with N customers
     preloaded through the contacts API for each N of --existing, and
  5. its baseline: raw aiokafka produce (acks=all) -> consume -> PyMongo insert, same rate.

Each N of --existing gets a complete platform of its own (broker, store, the contacts, sales
and projections services, on ports of its own), started and preloaded alone. The sizes then
take turns, round by round (A B A B ...), so that this shared machine's minute-to-minute
noise lands on every size alike: while one is measured, every
process of the others is stopped (SIGSTOP). A resumed platform is measured once its services
are ready and its 360 view is caught up (its consumer group rebalances after a pause, which
empties the projector's memory of recent documents) and after --resume-warmup seconds of the
same load; its first turn gets --warmup seconds. The baselines and the replay run on the first
(smallest) platform afterwards, the others stopped.

Prints events/s, the ratios against both baselines, the events-per-document compaction of a
batch, p50/p99 latency per N (the median of the rounds' figures and pooled over the rounds),
and the ratio of p99 at the largest N to p99 at the smallest, from both and per round.

    python3 -m uv run python bench/projector.py --events 20000 --customers 2000 --rate 100 \
        --existing 2000,20000 --rounds 4 --seconds 20 --warmup 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import uvloop
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from crm_campaigns_contracts import events as k
from crm_contacts_contracts import events as c
from crm_kernel import auth, wire
from crm_kernel.adapters.kafka_topics import (
    EVENT_TOPICS,
    ensure_topics,
    partitions_of,
    records_behind,
)
from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.settings import ServiceSettings
from crm_local.infra import Infra, InfraSettings
from crm_local.processes import Managed, port_open
from crm_local.synthetic import registered, stream_of
from crm_projections.adapters.read_models import COLLECTIONS
from crm_projections.adapters.read_store import MongoReadStore
from crm_projections.bootstrap import LIVE_GROUP
from crm_projections.entrypoints.admin import rebuild_into
from crm_sales_contracts import events as s
from crm_support_contracts import events as p
from pymongo import AsyncMongoClient, InsertOne
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

console = Console()
SCOPES = ["contacts:write", "sales:write", "projections:read"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def lead_stream(n: int, at: datetime, won: bool) -> list[EventEnvelope]:
    """A lead captured, assigned, worked, qualified and converted (or disqualified): five
    events on one stream, an update of the leads read model each after the first."""
    lead, prospect = f"lead{n}", str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-lead-{n}"))
    ids = {"lead_id": lead, "customer_id": prospect}
    closing: Any = (
        s.LeadConverted(
            **ids, new_customer=True, prospect_id=prospect, channel=s.LeadChannel.REFERRAL
        )
        if won
        else s.LeadDisqualified(**ids, reason="no budget")
    )
    return stream_of(
        [
            s.LeadCaptured(**ids, person_name=f"Lead {n}", channel=s.LeadChannel.REFERRAL),
            s.LeadAssigned(**ids, owner=f"rep{n % 7}"),
            s.LeadWorkStarted(**ids),
            s.LeadQualified(**ids),
            closing,
        ],
        f"lead-{lead}",
        "bench",
        at,
    )


def opportunity_stream(n: int, customer: str, at: datetime, won: bool) -> list[EventEnvelope]:
    """A deal opened, moved, re-priced and won (or lost): four events on one stream."""
    ids = {"opportunity_id": f"d{n}", "customer_id": customer}
    money = {"amount": Decimal("900.00"), "currency": "EUR"}
    stage = {
        "stage_probability": 50,
        "stage_category": s.ForecastCategory.BEST_CASE,
        "probability": 50,
        "forecast_category": s.ForecastCategory.BEST_CASE,
    }
    return stream_of(
        [
            s.OpportunityOpened(
                **ids,
                **money,
                **stage,
                name=f"Deal {n}",
                owner=f"rep{n % 7}",
                expected_close=(at + timedelta(days=60)).date(),
                pipeline="default",
                stage="proposal",
            ),
            s.OpportunityStageChanged(**ids, **stage | {"stage": "negotiation"}),
            s.OpportunityAmountChanged(**ids, amount=Decimal("1100.00"), currency="EUR"),
            s.OpportunityWon(**ids, amount=Decimal("1100.00"), currency="EUR")
            if won
            else s.OpportunityLost(**ids, reason="too expensive"),
        ],
        f"opportunity-d{n}",
        "bench",
        at,
    )


def generate(events: int, customers: int, seed: int = 7) -> list[EventEnvelope]:
    """Registrations first, then a random mix of orders, interactions, responses, cases,
    leads (whole lifecycles) and opportunities (opened to won or lost)."""
    rng = random.Random(seed)
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(customers)]
    out: list[EventEnvelope] = []
    for n, cid in enumerate(ids):
        out += registered(cid, n, "bench", T0 + timedelta(seconds=n))
    n = 0
    while len(out) < events:
        n += 1
        cid = rng.choice(ids)
        at = T0 + timedelta(minutes=n)
        kind = rng.random()
        event: Any
        if kind >= 0.9:
            out += lead_stream(n, at, won=kind < 0.95)
            continue
        if kind >= 0.8:
            out += opportunity_stream(n, cid, at, won=kind < 0.85)
            continue
        kind /= 0.8  # the rest of the mix in the shares it had before leads and deals came
        if kind < 0.4:
            event, stream = (
                s.OrderPlaced(
                    order_id=f"o{n}",
                    customer_id=cid,
                    currency="EUR",
                    total=Decimal("12.30"),
                    lines=(s.OrderLine(sku=f"S{n % 50}", quantity=1, unit_price=Decimal("12.30")),),
                ),
                f"order-o{n}",
            )
        elif kind < 0.7:
            event, stream = (
                c.InteractionLogged(
                    interaction_id=f"i{n}",
                    customer_id=cid,
                    channel=c.InteractionChannel.EMAIL,
                    direction=c.Direction.INBOUND,
                    occurred_at=at,
                ),
                f"interaction-i{n}",
            )
        elif kind < 0.9:
            event, stream = (
                k.CampaignResponseRecorded(
                    campaign_id=f"k{n % 5}",
                    customer_id=cid,
                    response=k.ResponseKind.CLICKED,
                    channel=k.Channel.EMAIL,
                    responded_at=at,
                ),
                f"campaign-k{n % 5}-customer-{cid}-{n}",
            )
        else:
            event, stream = (
                p.CaseOpened(
                    case_id=f"s{n}",
                    customer_id=cid,
                    kind=p.CaseKind.QUESTION,
                    priority=p.Priority.LOW,
                    channel="email",
                    subject="Help",
                    description="text",
                ),
                f"case-s{n}",
            )
        out += stream_of([event], stream, "bench", at)
    return out[:events]


async def publish(bootstrap: str, envelopes: list[EventEnvelope]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5
    )
    await producer.start()
    try:
        with Progress(console=console) as bar:
            task = bar.add_task("publishing", total=len(envelopes))
            for start in range(0, len(envelopes), 1000):
                futures = []
                for e in envelopes[start : start + 1000]:
                    m = wire.encode(e)
                    futures.append(
                        await producer.send(e.topic, m.value, key=m.key, headers=m.headers)
                    )
                await asyncio.gather(*futures)
                bar.update(task, advance=len(futures))
    finally:
        await producer.stop()


async def raw_consume(bootstrap: str) -> tuple[int, float]:
    partitions = await partitions_of(bootstrap, list(EVENT_TOPICS))
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        total, started = 0, time.perf_counter()
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            batch = await consumer.getmany(timeout_ms=1000, max_records=2000)
            total += sum(len(v) for v in batch.values())
        return total, time.perf_counter() - started
    finally:
        await consumer.stop()


async def raw_write(mongo_url: str, source: str, target: str) -> tuple[int, float]:
    """bulk_write(ordered=False) of the final documents of every read model, in batches, then
    the same indexes as the read models' built over them: the cheapest way to the same data
    (a read model without its paging index would not be the same read model)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    try:
        docs = {name: await client[source][name].find({}).to_list() for name in COLLECTIONS}
        indexes = {name: await client[source][name].index_information() for name in COLLECTIONS}
        written, started = 0, time.perf_counter()
        for name, items in docs.items():
            for i in range(0, len(items), 1000):
                await client[target][name].bulk_write(
                    [InsertOne(d) for d in items[i : i + 1000]], ordered=False
                )
                written += len(items[i : i + 1000])
        for name, found in indexes.items():
            for index, spec in found.items():
                if index != "_id_":
                    await client[target][name].create_index(spec["key"], name=index)
        return written, time.perf_counter() - started
    finally:
        await client.close()


class Compaction:
    """Counts what the 360 projector writes, to report events per document written."""

    def __init__(self) -> None:
        self.documents = 0
        original = MongoReadStore.save_many

        async def counting(store: MongoReadStore, changed: dict[str, Any]) -> set[str]:
            if store._name == "customer_360":
                self.documents += len(changed)
            return await original(store, changed)

        MongoReadStore.save_many = counting  # type: ignore[method-assign]


def bench_auth() -> tuple[dict[str, str], str]:
    """The services' auth environment and a bearer token they accept with the bench's scopes:
    the one place to change when the platform's auth changes (tests/processes.py shows how
    the tests start the platform). The bench is the issuer: a key of its own signs the token
    (EdDSA, with its kid), and the services get the public key set only."""
    key = auth.SigningKey.generate()
    token = auth.issue_token(key, "bench", SCOPES, timedelta(hours=2))
    return {"CRM_AUTH_JWKS": auth.public_key_set([key])}, token


# What the live workload's commands and reads need.
SERVICES = ("contacts", "sales", "projections")


class Platform:
    """One complete, independent platform for one number of preloaded customers: its own
    broker and store (`crm_local.infra`, in a state directory of its own) and its own
    services, on ports of its own. `pause` stops every one of its processes (SIGSTOP), so that
    another platform is measured alone on the machine; `resume` continues them (SIGCONT)."""

    def __init__(
        self,
        index: int,
        existing: int,
        args: argparse.Namespace,
        run: str,
        credentials: tuple[dict[str, str], str],
    ) -> None:
        self.existing = existing
        self.state = Path(tempfile.mkdtemp(prefix=f"crm-bench-{index}-"))
        step = 10 * index
        self.infra_settings = InfraSettings(
            state_dir=self.state,
            kafka_port=args.kafka_port + step,
            kafka_controller_port=args.kafka_port + step + 1,
            mongo_port=args.mongo_port + step,
        )
        self.infra = Infra(self.infra_settings)
        self.ports = {name: args.service_port + step + n for n, name in enumerate(SERVICES)}
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        self.run = f"{run}{index}"
        self.auth, self.token = credentials  # the services' environment, a token they accept
        self.workload = Workload(self.urls)
        self.members: frozenset[str] = frozenset()  # of the projector's group, before a pause
        self.paused_at = 0.0

    @property
    def bootstrap(self) -> str:
        return self.infra_settings.kafka_bootstrap

    @property
    def mongo_url(self) -> str:
        return self.infra_settings.mongo_url

    def all_ports(self) -> list[int]:
        s = self.infra_settings
        return [s.kafka_port, s.kafka_controller_port, s.mongo_port, *self.ports.values()]

    def services(self) -> list[Managed]:
        return [Managed(f"bench-{name}", self.state) for name in SERVICES]

    async def up(self, services: bool) -> None:
        await asyncio.to_thread(self.infra.up)
        await ensure_topics(self.bootstrap, list(EVENT_TOPICS), 3)
        if services:
            await asyncio.to_thread(self._start_services)

    def command(self, name: str) -> list[str]:
        """How a service is started (bench/cost_per_command.py wraps it to count its store
        commands)."""
        return [sys.executable, "-m", f"crm_{name}"]

    def _start_services(self) -> None:
        for name, process in zip(SERVICES, self.services(), strict=True):
            env = {
                "CRM_KAFKA_BOOTSTRAP": self.bootstrap,
                "CRM_MONGO_URL": self.mongo_url,
                "CRM_HTTP_PORT": str(self.ports[name]),
                "CRM_LOG_LEVEL": "WARNING",
                "CRM_DATABASE": f"bench_{self.run}_{name}",
                "CRM_VAULT_DATABASE": f"bench_{self.run}_vault",
                # A paused platform keeps its projector in its group: no rebalance on resume,
                # so neither size restarts with the projector's memory of documents empty.
                "CRM_CONSUMER_SESSION_TIMEOUT_MS": str(SESSION_S * 1000),
                **self.auth,
            }
            process.start(self.command(name), env=env)
            process.wait_until(lambda u=self.urls[name]: _ready(u), "ready", timeout_s=60)

    def _processes(self) -> list[Managed]:
        """Broker and store first, then the services."""
        return [part.process for part in self.infra.parts] + self.services()

    @staticmethod
    def _signal(processes: list[Managed], signum: signal.Signals) -> None:
        for process in processes:
            pid = process.pid()  # None unless it is a process this platform started
            if pid is None:
                continue
            # Managed.start gives each a session of its own: its group holds only it and
            # whatever it started.
            if os.getpgid(pid) == pid:
                os.killpg(pid, signum)
            else:
                os.kill(pid, signum)

    def pause(self) -> None:
        """Services first, so none of them sees its broker or store stop while it runs."""
        self._signal(self._processes()[::-1], signal.SIGSTOP)
        self.paused_at = time.perf_counter()

    def resume(self) -> None:
        self._signal(self._processes(), signal.SIGCONT)

    def down(self) -> None:
        self.resume()  # a stopped process would not act on SIGTERM
        for process in reversed(self.services()):
            process.stop()
        self.infra.down()


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


KINDS = ("registration", "order", "update", "interaction")
READ_ATTEMPTS = 6  # x wait_ms 10 s: a command not visible within a minute counts as failed
# Commands still waiting for the view, at most: past that the platform is far behind, and more
# waiting readers would only pile up connections; the command is not sent and counts as failed.
MAX_IN_FLIGHT = 1000


class Workload:
    """The mixed commands of the live rounds, a quarter each: registrations (inserts into the
    360 view) and, on customers already in the store, orders, renames or tags, interactions
    (revision-checked replaces of existing documents)."""

    def __init__(self, urls: dict[str, str], seed: int = 11) -> None:
        self.urls = urls
        self.known: list[str] = []  # customers registered and accepted, oldest first
        self.rng = random.Random(seed)
        self.issued = 0
        self.kinds = KINDS  # taken in turn (bench/cost_per_command.py sends one at a time)

    def next(self) -> tuple[str, str, str, str, dict[str, Any] | None]:
        """(kind, customer, method, url, body) of the next command."""
        n = self.issued
        self.issued += 1
        kind = self.kinds[n % len(self.kinds)] if self.known else "registration"
        contacts = self.urls["contacts"]
        if kind == "registration":
            cid = str(uuid.uuid4())
            body = {"customer_id": cid, "name": f"Live {n}", "email": f"live-{cid}@example.com"}
            return kind, cid, "POST", f"{contacts}/customers", body
        cid = self.rng.choice(self.known)
        if kind == "order":
            body = {
                "customer_id": cid,
                "currency": "EUR",
                "payment_method": "card",
                "lines": [{"sku": f"S{n % 50}", "quantity": 1 + n % 3, "unit_price": "12.30"}],
            }
            return kind, cid, "POST", f"{self.urls['sales']}/orders", body
        if kind == "update":
            if (n // len(KINDS)) % 2:
                url = f"{contacts}/customers/{cid}/name"
                return kind, cid, "POST", url, {"name": f"Renamed {n}"}
            return kind, cid, "PUT", f"{contacts}/customers/{cid}/tags/t{n}", None
        body = {
            "customer_id": cid,
            "channel": "email",
            "direction": "inbound",
            "subject": f"Question {n}",
        }
        return kind, cid, "POST", f"{contacts}/interactions", body


def _session(token: str) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        headers={"Authorization": f"Bearer {token}"},
        timeout=aiohttp.ClientTimeout(total=60),
        connector=aiohttp.TCPConnector(limit=0),
    )


async def visible(
    http: aiohttp.ClientSession,
    urls: dict[str, str],
    cid: str,
    answer: dict[str, Any],
    attempts: int = READ_ATTEMPTS,
) -> bool:
    """Whether the 360 view shows the command, read as a dashboard would: GET the view with
    the command's position (`after`). Bounded: `attempts` waits of up to 10 s each, and as
    many times 10 s in all however slowly the service answers."""
    query = {"after": f"{answer['stream_id']}@{answer['version']}", "wait_ms": "10000"}
    deadline = time.perf_counter() + attempts * 10
    try:
        for _ in range(attempts):
            left = deadline - time.perf_counter()
            if left <= 0:
                return False
            async with http.get(
                f"{urls['projections']}/customers/{cid}",
                params=query,
                timeout=aiohttp.ClientTimeout(total=left),
            ) as view:
                if view.status == 503:
                    continue  # not caught up within wait_ms: ask again
                view.raise_for_status()
                await view.read()
                return True
    except TimeoutError:
        pass  # slower than the budget: not visible in time
    return False


async def preload(platform: Platform, concurrency: int) -> None:
    """Register customers through the contacts API until the platform's number are known,
    `concurrency` requests at a time, then wait until the 360 view has them all."""
    urls, workload = platform.urls, platform.workload
    missing = platform.existing - len(workload.known)
    if missing <= 0:
        return
    failed: list[str] = []
    async with _session(platform.token) as http:
        queue = iter(range(missing))
        answers: list[tuple[str, dict[str, Any]]] = []
        with Progress(console=console) as bar:
            task = bar.add_task(f"registering {missing:,} customers", total=missing)

            async def worker() -> None:
                for n in queue:
                    cid = str(uuid.uuid4())
                    body = {
                        "customer_id": cid,
                        "name": f"Existing {len(workload.known) + n}",
                        "email": f"existing-{cid}@example.com",
                    }
                    try:
                        async with http.post(f"{urls['contacts']}/customers", json=body) as r:
                            if r.status == 201:
                                answers.append((cid, await r.json()))
                                workload.known.append(cid)
                            else:
                                failed.append(str(r.status))
                    except aiohttp.ClientError as error:
                        failed.append(type(error).__name__)
                    bar.update(task, advance=1)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        if len(failed) > missing // 100:
            raise RuntimeError(f"{len(failed)} of {missing} registrations failed: {set(failed)}")
        # Each partition is projected in order: once the last few hundred registrations (which
        # land on every partition) are visible, so is every one before them.
        started = time.perf_counter()
        with console.status(f"waiting until the 360 view has {len(workload.known):,} customers"):
            tail = answers[-300:]
            seen = await asyncio.gather(*(visible(http, urls, cid, a, 30) for cid, a in tail))
        if not all(seen):
            raise RuntimeError("the 360 view did not show the preloaded customers within 300 s")
        console.print(
            f"{len(workload.known):,} customers in the store "
            f"(projected {time.perf_counter() - started:.1f} s after the last registration)"
        )
        with console.status("waiting until the services' own consumers have read them"):
            took = await consumers_caught_up(platform, timeout_s=900)
        console.print(f"the services' own consumers caught up {took:.1f} s later")


async def projector_counters(url: str) -> dict[str, float]:
    """The projections service's own counters: the 360 projector's time in batches, its
    batches and its events, to tell its share of a latency from the store's and the rest."""
    wanted = {
        "crm_projector_batch_seconds_sum": "seconds",
        "crm_projector_batch_seconds_count": "batches",
        "crm_events_projected_total": "events",
    }
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as response:
        text = await response.text()
    found = {"at": time.perf_counter()}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in wanted:
            found[wanted[name]] = float(value)
    return found


async def live_latency(
    platform: Platform, rate: int, seconds: int, label: str = "live"
) -> tuple[dict[str, list[float]], list[str]]:
    """The mixed workload at `rate` per second; each command is timed from its 201 (200 for a
    rename or a tag) until the 360 view shows it. aiohttp on uvloop keeps the client's own CPU
    small: it shares the machine with the system. Returns the latencies per kind of command
    and the failures."""
    urls, workload = platform.urls, platform.workload
    latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
    failed: list[str] = []
    async with _session(platform.token) as http:

        async def command() -> None:
            kind, cid, method, url, body = workload.next()
            try:
                async with http.request(method, url, json=body) as response:
                    if response.status not in (200, 201):
                        failed.append(f"{kind} {response.status}")
                        return
                    accepted = time.perf_counter()
                    answer = await response.json()
                if kind == "registration":
                    workload.known.append(cid)
                if not await visible(http, urls, cid, answer):
                    failed.append(f"{kind} not visible")
                    return
            except (aiohttp.ClientError, TimeoutError) as error:
                failed.append(f"{kind} {type(error).__name__}")  # the service's log says why
                return
            latencies[kind].append((time.perf_counter() - accepted) * 1000)

        tasks: set[asyncio.Task[None]] = set()
        total = rate * seconds
        started = time.perf_counter()
        with Progress(console=console) as bar:
            task = bar.add_task(f"{label} at {rate} commands/s", total=total)
            for n in range(total):
                await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
                if len(tasks) >= MAX_IN_FLIGHT:
                    failed.append(f"not sent ({MAX_IN_FLIGHT} in flight)")
                else:
                    tasks.add(sent := asyncio.create_task(command()))
                    sent.add_done_callback(tasks.discard)
                bar.update(task, advance=1)
            await asyncio.gather(*tasks)
    if failed:
        console.print(
            f"[yellow]{len(failed)} of {total} commands failed "
            f"({', '.join(sorted(set(failed)))})[/yellow]"
        )
    return latencies, failed


async def raw_latency(
    bootstrap: str, mongo_url: str, run: str, rate: int, seconds: int
) -> list[float]:
    """The floor for live latency on this machine, in the same run: the same hops without the
    platform. An aiokafka producer (acks=all) sends at `rate`; a consumer inserts a document
    per record with PyMongo; latency runs from the send's ack to the insert's answer."""
    topic = f"bench.raw-latency.{run}"
    await ensure_topics(bootstrap, [topic], 3)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    documents = client[f"bench_{run}_raw_latency"]["documents"]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, fetch_max_wait_ms=10)
    acked: dict[str, float] = {}
    inserted: dict[str, float] = {}
    total = rate * seconds
    await producer.start()
    await consumer.start()
    try:
        await consumer.seek_to_end()

        async def consume() -> None:
            while len(inserted) < total:
                for records in (await consumer.getmany(timeout_ms=100)).values():
                    for record in records:
                        key = record.key.decode() if record.key else ""
                        await documents.insert_one({"_id": key, "n": len(inserted)})
                        inserted[key] = time.perf_counter()

        async def send(n: int) -> None:
            key = f"{n}-{uuid.uuid4()}"
            await producer.send_and_wait(topic, b"{}", key=key.encode())
            acked[key] = time.perf_counter()

        reader = asyncio.create_task(consume())
        started, sends = time.perf_counter(), []
        for n in range(total):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            sends.append(asyncio.create_task(send(n)))
        await asyncio.gather(*sends)
        await asyncio.wait_for(reader, timeout=60)
    finally:
        await producer.stop()
        await consumer.stop()
        await client.close()
    # A record can be stored before its producer hears the ack: that counts as no delay.
    return [max(0.0, inserted[key] - at) * 1000 for key, at in acked.items()]


SETTLED_MS = 250  # two probes in a row visible this fast: the platform is caught up
SETTLE_TIMEOUT_S = 180
# The projectors' consumer session: longer than any pause, so a resumed projector keeps its
# group membership and the documents it remembers. (A pause longer than the session, less the
# 3 s between heartbeats, costs the membership: the broker expires it on resume and the
# consumer rejoins; `settle` then waits for that.)
SESSION_S, HEARTBEAT_S = 300, 3
REJOIN_WITHIN_S = 15


async def projector_group(bootstrap: str) -> tuple[str, frozenset[str]]:
    """The live projector's consumer group: its state and its members' ids."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([LIVE_GROUP])
        _, _, state, _, _, members, *_ = response.groups[0]
        return str(state), frozenset(str(member[0]) for member in members)
    finally:
        await admin.close()


async def settle(
    platform: Platform, members: frozenset[str], paused_s: float
) -> tuple[float, float]:
    """After a resume: wait until every service is ready, the projector's consumer has
    rejoined its group after a long pause (`members` were its members before) and two probe
    registrations in a row are visible in the 360 view within SETTLED_MS (caught up with what
    piled up); returns the seconds until it rejoined and until it was caught up."""
    started = time.perf_counter()
    deadline = started + SETTLE_TIMEOUT_S

    def overdue() -> None:
        if time.perf_counter() > deadline:
            raise RuntimeError(
                f"{platform.existing:,} customers: not caught up {SETTLE_TIMEOUT_S} s after "
                f"a resume: see the logs in {platform.state / 'logs'}"
            )

    for url in platform.urls.values():
        while not await asyncio.to_thread(_ready, url):
            overdue()
            await asyncio.sleep(0.25)
    if paused_s > SESSION_S - HEARTBEAT_S:
        await rejoined_by(platform, members, started + REJOIN_WITHIN_S)
    rejoined = time.perf_counter() - started
    fast = 0
    async with _session(platform.token) as http:
        while fast < 2:
            overdue()
            settled = await probe_settled(http, platform.urls)
            if settled:
                fast += 1
            else:
                fast = 0
                await asyncio.sleep(0.5 if settled is None else 0.2)
    await consumers_caught_up(platform)
    return rejoined, time.perf_counter() - started


# The write services' own consumers of event topics: a turn starts once they have read what
# piled up too (a backlog of 20,000 registrations for sales' duplicate index, say), or the
# rounds would measure that catch-up rather than the commands.
SERVICE_CONSUMERS = {
    "crm-sales-customer-points": "crm.contacts.events",
    "crm-sales-lead-book": "crm.sales.events",
    "crm-contacts-lead-conversions": "crm.sales.events",
}


async def consumers_caught_up(platform: Platform, timeout_s: float = SETTLE_TIMEOUT_S) -> float:
    """Wait until every service consumer of SERVICE_CONSUMERS has no record left to read;
    returns the seconds it took."""
    started = time.perf_counter()
    for group, topic in SERVICE_CONSUMERS.items():
        partitions = set(await partitions_of(platform.bootstrap, [topic]))
        while await records_behind(platform.bootstrap, group, partitions):
            if time.perf_counter() - started > timeout_s:
                raise RuntimeError(f"{group} not caught up after {timeout_s:.0f} s")
            await asyncio.sleep(0.5)
    return time.perf_counter() - started


async def rejoined_by(platform: Platform, members: frozenset[str], until: float) -> None:
    """Wait, until the `until` instant at most, for the projector's group to be stable with
    none of its earlier `members` (the broker expired them: the consumer rejoined)."""
    while time.perf_counter() < until:
        with contextlib.suppress(Exception):  # a broker still waking up: ask again
            state, now = await projector_group(platform.bootstrap)
            if state == "Stable" and now and not now & members:
                return
        await asyncio.sleep(0.25)


async def probe_settled(http: aiohttp.ClientSession, urls: dict[str, str]) -> bool | None:
    """Register a probe customer: whether the 360 view showed it within SETTLED_MS of its
    acceptance; None when contacts did not accept it."""
    cid = str(uuid.uuid4())
    body = {"customer_id": cid, "name": "Probe", "email": f"probe-{cid}@example.com"}
    try:
        async with http.post(f"{urls['contacts']}/customers", json=body) as r:
            if r.status != 201:
                return None
            accepted = time.perf_counter()
            answer = await r.json()
        seen = await visible(http, urls, cid, answer, attempts=2)
    except (aiohttp.ClientError, TimeoutError):
        return False
    return seen and (time.perf_counter() - accepted) * 1000 < SETTLED_MS


def pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]
        if len(values) > 1
        else values[0]
    )


class Measured:
    """The live rounds at one number of customers already in the store."""

    def __init__(self, existing: int) -> None:
        self.existing = existing
        self.per_kind: dict[str, list[float]] = {kind: [] for kind in KINDS}
        self.rounds: list[tuple[float, float]] = []
        # Seconds from each resume until the projector rejoined its group, and was caught up.
        self.settled: list[tuple[float, float]] = []
        self.failed: list[str] = []
        self.projector: dict[str, float] = {}  # summed over the measured rounds only

    def add(
        self, per_kind: dict[str, list[float]], failed: list[str], projector: dict[str, float]
    ) -> None:
        figures = [v for values in per_kind.values() for v in values]
        self.rounds.append((pct(figures, 50), pct(figures, 99)) if figures else (0.0, 0.0))
        for kind, values in per_kind.items():
            self.per_kind[kind] += values
        self.failed += failed
        for key, value in projector.items():
            self.projector[key] = self.projector.get(key, 0.0) + value

    @property
    def pooled(self) -> list[float]:
        return [v for values in self.per_kind.values() for v in values]

    @property
    def median_p50(self) -> float:
        return statistics.median(p50 for p50, _ in self.rounds)

    @property
    def median_p99(self) -> float:
        return statistics.median(p99 for _, p99 in self.rounds)


async def measure_round(
    platform: Platform, measured: Measured, n: int, args: argparse.Namespace, interleaved: bool
) -> None:
    """One live round on `platform`: resumed (when the sizes take turns), caught up, warmed
    up, measured, paused again."""
    if interleaved:
        members, paused_s = platform.members, time.perf_counter() - platform.paused_at
        platform.resume()
        rejoined, took = await settle(platform, members, paused_s)
        measured.settled.append((rejoined, took))
        console.print(
            f"{platform.existing:,} customers: resumed, projector rejoined its group in "
            f"{rejoined:.1f} s, caught up in {took:.1f} s"
        )
    # The first time, the JVM's JIT, the services' first requests and the preload's backlog
    # make the first seconds slow; after each resume, the consumer group's rebalance and the
    # memory it empties (ADR 9): those seconds are discarded, as in any benchmark.
    warmup = args.warmup if not measured.rounds else args.resume_warmup if interleaved else 0
    if warmup:
        await live_latency(platform, args.rate, warmup, "warm-up")
    before = await projector_counters(platform.urls["projections"])
    per_kind, failed = await live_latency(
        platform, args.rate, args.seconds, f"{platform.existing:,} customers, round {n + 1}"
    )
    after = await projector_counters(platform.urls["projections"])
    measured.add(per_kind, failed, {k: after.get(k, 0) - before.get(k, 0) for k in after})
    p50, p99 = measured.rounds[-1]
    console.print(
        f"{platform.existing:,} customers, round {n + 1}: p50 {p50:.0f} ms, p99 {p99:.0f} ms"
    )
    if interleaved:
        platform.members = (await projector_group(platform.bootstrap))[1]
        platform.pause()


async def main(args: argparse.Namespace) -> None:
    run = uuid.uuid4().hex[:6]
    credentials = bench_auth()
    # One platform per number of customers for the live rounds; the baselines and the replay
    # run on the first (smallest) one.
    sizes = args.existing if args.rate > 0 else args.existing[:1]
    platforms = [Platform(n, existing, args, run, credentials) for n, existing in enumerate(sizes)]
    if not ports_free(platforms):
        return
    interleaved = len(platforms) > 1
    try:
        results: list[Measured] = []
        if args.rate > 0:
            results = await live_rounds(platforms, args, interleaved)
        baseline, replay = await replay_phase(platforms[0], args, credentials)
    finally:
        # Synchronous: a cancelled run (Ctrl-C) still stops every process it started.
        for platform in platforms:
            platform.down()
    report(args, platforms[0].existing, interleaved, results, baseline, replay)


def ports_free(platforms: list[Platform]) -> bool:
    """Whether every platform's ports are free and no two platforms share one (else says so)."""
    ports = [port for platform in platforms for port in platform.all_ports()]
    taken = sorted({port for port in ports if port_open("127.0.0.1", port)})
    if taken or len(set(ports)) < len(ports):
        console.print(
            f"[red]error:[/red] ports {', '.join(map(str, taken)) or '(overlapping)'} are taken: "
            "pass --kafka-port, --mongo-port or --service-port (each platform n uses them + 10 n)"
        )
        return False
    return True


async def live_rounds(
    platforms: list[Platform], args: argparse.Namespace, interleaved: bool
) -> list[Measured]:
    """The live rounds on every platform; all but the first are down afterwards."""
    # First, on empty topics: the live projector is caught up from its first event.
    # Each platform is started and preloaded alone, then paused.
    for platform in platforms:
        await platform.up(services=True)
        await preload(platform, args.concurrency)
        if interleaved:
            platform.members = (await projector_group(platform.bootstrap))[1]
            platform.pause()
    results = [Measured(platform.existing) for platform in platforms]
    for n in range(args.rounds):
        # Every size once per round, in turn (A B A B ...): the machine's
        # minute-to-minute noise lands on every side alike, and every turn of a size
        # comes after the same pause (the others' turns).
        for platform, measured in zip(platforms, results, strict=True):
            await measure_round(platform, measured, n, args, interleaved)
    for platform in platforms[1:]:
        platform.down()
    return results


@dataclass(frozen=True)
class ReplayFigures:
    """The replay and its two raw baselines, on the first platform."""

    consumed: int
    consume_s: float
    replayed: int  # events the projector replayed, the live phase's included
    replay_s: float
    written: int
    write_s: float
    compaction: Compaction


async def replay_phase(
    first: Platform, args: argparse.Namespace, credentials: tuple[dict[str, str], str]
) -> tuple[list[float], ReplayFigures]:
    """On the first platform: the raw live baseline (with live rounds), then the generated
    events published and replayed, against raw consume and raw write."""
    if not args.rate:
        await first.up(services=False)
    first.resume()
    bootstrap, mongo_url = first.bootstrap, first.mongo_url
    baseline: list[float] = []
    if args.rate > 0:
        baseline = await raw_latency(bootstrap, mongo_url, first.run, args.rate, args.seconds)
    envelopes = generate(args.events, args.customers)
    await publish(bootstrap, envelopes)

    consumed, consume_s = await raw_consume(bootstrap)
    settings = ServiceSettings(
        kafka_bootstrap=bootstrap,
        mongo_url=mongo_url,
        database=f"bench_{first.run}_base",
        vault_database=f"bench_{first.run}_vault",
        **{name.removeprefix("CRM_").lower(): value for name, value in credentials[0].items()},
    )
    compaction = Compaction()
    started = time.perf_counter()
    replayed = await rebuild_into(settings, f"bench_{first.run}_replay", switch=False)
    replay_s = time.perf_counter() - started
    written, write_s = await raw_write(
        mongo_url, f"bench_{first.run}_replay", f"bench_{first.run}_raw"
    )
    figures = ReplayFigures(
        consumed, consume_s, replayed.done, replay_s, written, write_s, compaction
    )
    return baseline, figures


def report(
    args: argparse.Namespace,
    first_existing: int,
    interleaved: bool,
    results: list[Measured],
    baseline: list[float],
    replay: ReplayFigures,
) -> None:
    """The replay's figures, each size's live rounds, the sizes compared, the raw floor."""
    table = replay_table(args, first_existing, replay)
    how = (
        f"{args.rounds} x {args.seconds} s, the sizes taking turns on paused platforms, each "
        f"turn after catching up and {args.resume_warmup} s warm-up, the first after "
        f"{args.warmup} s"
        if interleaved
        else f"{args.rounds} x {args.seconds} s after {args.warmup} s warm-up"
    )
    for m in results:
        add_live_rows(table, args, m, how)
    add_size_comparison(table, [m for m in results if m.pooled])
    if baseline:
        table.add_row(
            f"raw Kafka -> MongoDB insert at {args.rate}/s, p50 / p99",
            f"{pct(baseline, 50):.1f} / {pct(baseline, 99):.1f} ms",
        )
    console.print(table)


def replay_table(args: argparse.Namespace, first_existing: int, replay: ReplayFigures) -> Table:
    consume_rate = replay.consumed / replay.consume_s
    # Events whose final documents the raw write stored per second: every event on the topics,
    # the live phase's included, as the replay reads them all.
    write_rate = replay.replayed / replay.write_s
    replay_rate = replay.replayed / replay.replay_s
    table = Table(
        title=f"{replay.replayed:,} events replayed ({args.events:,} generated on "
        f"{args.customers:,} customers, the rest from the live phase at "
        f"{first_existing:,} customers), 3 partitions per topic"
    )
    table.add_column("measure")
    table.add_column("figure", justify="right")
    table.add_row("raw aiokafka consume-only", f"{consume_rate:,.0f} events/s")
    table.add_row(
        "raw PyMongo bulk_write of the final documents, then their indexes",
        f"{replay.written / replay.write_s:,.0f} docs/s = {write_rate:,.0f} events/s",
    )
    table.add_row("projector replay (all read models)", f"{replay_rate:,.0f} events/s")
    table.add_row("projector / raw consume", f"{replay_rate / consume_rate:.2f}")
    table.add_row("projector / raw write", f"{replay_rate / write_rate:.2f}")
    table.add_row(
        "projector / slower baseline", f"{replay_rate / min(consume_rate, write_rate):.2f}"
    )
    if replay.compaction.documents:
        table.add_row(
            "compaction (replay)",
            f"{replay.replayed / replay.compaction.documents:.2f} events per customer_360 "
            "document written",
        )
    return table


def add_live_rows(table: Table, args: argparse.Namespace, m: Measured, how: str) -> None:
    """One size's live rounds: medians, pooled, per round and kind, projector, resumes."""
    pooled = m.pooled
    if not pooled:
        table.add_row(f"live, {m.existing:,} customers in the store", "nothing visible")
        return
    table.add_row(
        f"live mixed at {args.rate} commands/s, {m.existing:,} customers in the store "
        f"({how}): median of the rounds' p50 / p99",
        f"{m.median_p50:.1f} / {m.median_p99:.1f} ms",
    )
    table.add_row(
        "  pooled over the rounds, p50 / p99",
        f"{pct(pooled, 50):.1f} / {pct(pooled, 99):.1f} ms",
    )
    table.add_row("  per round, p50 / p99", ", ".join(f"{a:.0f} / {b:.0f} ms" for a, b in m.rounds))
    table.add_row(
        "  per kind, p50 / p99",
        ", ".join(
            f"{kind} {pct(v, 50):.0f} / {pct(v, 99):.0f}" for kind, v in m.per_kind.items() if v
        )
        + " ms",
    )
    if (batches := m.projector.get("batches", 0)) > 0:
        table.add_row(
            "  360 projector in the rounds: mean batch, events per batch, busy",
            f"{m.projector['seconds'] / batches * 1000:.1f} ms, "
            f"{m.projector['events'] / batches:.1f}, "
            f"{m.projector['seconds'] / m.projector['at']:.0%}",
        )
    if m.settled:
        table.add_row(
            "  after each resume: projector rejoined, caught up",
            ", ".join(f"{a:.1f} / {b:.1f}" for a, b in m.settled) + " s",
        )
    issued = args.rate * args.seconds * args.rounds
    table.add_row("  commands visible / failed", f"{len(pooled)} / {len(m.failed)} of {issued}")


def add_size_comparison(table: Table, measured: list[Measured]) -> None:
    """The headline: p99 at the largest size against the smallest, of the sizes measured."""
    if len(measured) > 1:
        small, large = measured[0], measured[-1]
        versus = f"p99 at {large.existing:,} / p99 at {small.existing:,} customers"
        table.add_row(
            f"{versus}, medians of the rounds (headline, target <= 1.2)",
            f"{large.median_p99 / small.median_p99:.2f}",
        )
        table.add_row(f"{versus}, pooled", f"{pct(large.pooled, 99) / pct(small.pooled, 99):.2f}")
        table.add_row(
            f"{versus}, per round (measured next to each other)",
            ", ".join(
                f"{b[1] / a[1]:.2f}" for a, b in zip(small.rounds, large.rounds, strict=False)
            ),
        )


def _terminated(*_: object) -> None:
    import traceback

    traceback.print_stack()
    raise KeyboardInterrupt


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--rate", type=int, default=100, help="live commands per second (0: skip)")
    parser.add_argument("--seconds", type=int, default=20, help="how long the live phase runs")
    parser.add_argument(
        "--warmup", type=int, default=15, help="seconds at the same rate before measuring"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="live phases, pooled (this machine is noisy)"
    )
    parser.add_argument(
        "--existing",
        type=lambda text: sorted(int(n) for n in text.split(",")),
        default=[2_000, 20_000],
        help="customers in the store before each set of live rounds, e.g. 2000,20000",
    )
    parser.add_argument(
        "--concurrency", type=int, default=16, help="registrations in flight while preloading"
    )
    parser.add_argument(
        "--resume-warmup",
        type=int,
        default=5,
        help="seconds at the same rate before measuring a size again after its resume",
    )
    parser.add_argument("--kafka-port", type=int, default=29192, help="+ 10 per platform")
    parser.add_argument("--mongo-port", type=int, default=29190, help="+ 10 per platform")
    parser.add_argument(
        "--service-port", type=int, default=19300, help="first service's; + 10 per platform"
    )
    os.environ.setdefault("CRM_LOG_LEVEL", "WARNING")
    # A terminated run still stops the broker and store it started (the finally block runs).
    signal.signal(signal.SIGTERM, _terminated)
    uvloop.run(main(parser.parse_args()))
