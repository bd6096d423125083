"""Projector benchmark on the real broker and store (not a timed test).

Generates N events across many customers, then measures in one run on the same data:
  1. raw aiokafka consume-only throughput (baseline),
  2. raw PyMongo bulk_write(ordered=False) of the same final documents (baseline),
  3. the projector's replay throughput (same code as `crm projections rebuild`),
  4. live end-to-end latency, command accepted -> visible in the 360 view, at a fixed rate,
     in several rounds (this shared machine's speed varies from minute to minute), on a mixed
     workload (a quarter each: registrations, orders, renames or tags, interactions, the last
     three on customers already in the store), with N customers preloaded through the
     contacts API for each N of --existing, and
  5. its baseline: raw aiokafka produce (acks=all) -> consume -> PyMongo insert, same rate.
Prints events/s, the ratios against both baselines, the events-per-document compaction of a
batch, p50/p99 latency per N, and the ratio of p99 at the largest N to p99 at the smallest.

    python3 -m uv run python bench/projector.py --events 20000 --customers 2000 --rate 100 \
        --existing 2000,20000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import uvloop
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from crm_kernel import wire
from crm_kernel.auth import issue_token
from crm_kernel.contracts import campaigns as k
from crm_kernel.contracts import contacts as c
from crm_kernel.contracts import sales as s
from crm_kernel.contracts import support as p
from crm_kernel.domain.envelope import EventEnvelope
from crm_kernel.settings import ServiceSettings
from crm_kernel.topics import EVENT_TOPICS, ensure_topics, partitions_of
from crm_local.infra import Infra, InfraSettings
from crm_local.processes import Managed, port_open
from crm_local.synthetic import registered, stream_of
from crm_projections.adapters.read_models import COLLECTIONS
from crm_projections.adapters.read_store import MongoReadStore
from crm_projections.entrypoints.admin import rebuild_into
from pymongo import AsyncMongoClient, InsertOne
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

console = Console()
SECRET = "benchmark-secret-of-at-least-32-bytes!!"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def generate(events: int, customers: int, seed: int = 7) -> list[EventEnvelope]:
    """Registrations first, then a random mix of orders, interactions, responses and cases."""
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
    """bulk_write(ordered=False) of the final documents of every read model, in batches."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    try:
        docs = {name: await client[source][name].find({}).to_list() for name in COLLECTIONS}
        written, started = 0, time.perf_counter()
        for name, items in docs.items():
            for i in range(0, len(items), 1000):
                await client[target][name].bulk_write(
                    [InsertOne(d) for d in items[i : i + 1000]], ordered=False
                )
                written += len(items[i : i + 1000])
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


def start_services(infra: InfraSettings, state: Path, run: str) -> dict[str, str]:
    urls = {}
    for name in ("contacts", "sales", "projections"):
        port = 19300 + len(urls)
        env = {
            "CRM_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
            "CRM_MONGO_URL": infra.mongo_url,
            "CRM_HTTP_PORT": str(port),
            "CRM_AUTH_SECRET": SECRET,
            "CRM_LOG_LEVEL": "WARNING",
            "CRM_DATABASE": f"bench_{run}_{name}",
            "CRM_VAULT_DATABASE": f"bench_{run}_vault",
        }
        process = Managed(f"bench-{name}", state)
        process.start([sys.executable, "-m", f"crm_{name}"], env=env)
        urls[name] = f"http://127.0.0.1:{port}"
        process.wait_until(lambda u=urls[name]: _ready(u), "ready", timeout_s=60)
    return urls


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

    def next(self) -> tuple[str, str, str, str, dict[str, Any] | None]:
        """(kind, customer, method, url, body) of the next command."""
        n = self.issued
        self.issued += 1
        kind = KINDS[n % len(KINDS)] if self.known else "registration"
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


def _token() -> str:
    scopes = ["contacts:write", "sales:write", "projections:read"]
    return issue_token(SECRET, "bench", scopes, timedelta(hours=2))


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


async def preload(urls: dict[str, str], workload: Workload, target: int, concurrency: int) -> None:
    """Register customers through the contacts API until `target` are known, `concurrency`
    requests at a time, then wait until the 360 view has them all."""
    missing = target - len(workload.known)
    if missing <= 0:
        return
    failed: list[str] = []
    async with _session(_token()) as http:
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
    urls: dict[str, str], workload: Workload, rate: int, seconds: int, label: str = "live"
) -> tuple[dict[str, list[float]], list[str]]:
    """The mixed workload at `rate` per second; each command is timed from its 201 (200 for a
    rename or a tag) until the 360 view shows it. aiohttp on uvloop keeps the client's own CPU
    small: it shares the machine with the system. Returns the latencies per kind of command
    and the failures."""
    latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
    failed: list[str] = []
    async with _session(_token()) as http:

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
        self.failed: list[str] = []
        self.projector: dict[str, float] = {}

    def add(self, per_kind: dict[str, list[float]], failed: list[str]) -> None:
        figures = [v for values in per_kind.values() for v in values]
        self.rounds.append((pct(figures, 50), pct(figures, 99)) if figures else (0.0, 0.0))
        for kind, values in per_kind.items():
            self.per_kind[kind] += values
        self.failed += failed

    @property
    def pooled(self) -> list[float]:
        return [v for values in self.per_kind.values() for v in values]


async def main(args: argparse.Namespace) -> None:
    state = Path(tempfile.mkdtemp(prefix="crm-bench-"))
    infra_settings = InfraSettings(
        state_dir=state,
        kafka_port=args.kafka_port,
        kafka_controller_port=args.kafka_port + 1,
        mongo_port=args.mongo_port,
    )
    infra = Infra(infra_settings)
    if port_open("127.0.0.1", args.kafka_port):
        console.print(f"[red]error:[/red] port {args.kafka_port} is taken: pass --kafka-port")
        return
    run = uuid.uuid4().hex[:6]
    try:
        await asyncio.to_thread(infra.up)
        bootstrap, mongo_url = infra_settings.kafka_bootstrap, infra_settings.mongo_url
        await ensure_topics(bootstrap, list(EVENT_TOPICS), 3)
        results: list[Measured] = []
        baseline: list[float] = []
        if args.rate > 0:
            # First, on empty topics: the live projector is caught up from its first event.
            urls = await asyncio.to_thread(start_services, infra_settings, state, run)
            workload = Workload(urls)
            for existing in args.existing:
                await preload(urls, workload, existing, args.concurrency)
                if args.warmup:
                    # The JVM's JIT, the services' first requests and the preload's backlog
                    # make the first seconds slow: those are discarded, as in any benchmark.
                    await live_latency(urls, workload, args.rate, args.warmup, "warm-up")
                measured = Measured(existing)
                before = await projector_counters(urls["projections"])
                for n in range(args.rounds):
                    per_kind, failed = await live_latency(
                        urls,
                        workload,
                        args.rate,
                        args.seconds,
                        f"{existing:,} customers, round {n + 1}",
                    )
                    measured.add(per_kind, failed)
                    p50, p99 = measured.rounds[-1]
                    console.print(
                        f"{existing:,} customers, round {n + 1}: p50 {p50:.0f} ms, p99 {p99:.0f} ms"
                    )
                after = await projector_counters(urls["projections"])
                measured.projector = {k: after.get(k, 0) - before.get(k, 0) for k in after}
                results.append(measured)
            baseline = await raw_latency(bootstrap, mongo_url, run, args.rate, args.seconds)
        envelopes = generate(args.events, args.customers)
        await publish(bootstrap, envelopes)

        consumed, consume_s = await raw_consume(bootstrap)
        settings = ServiceSettings(
            kafka_bootstrap=bootstrap,
            mongo_url=mongo_url,
            auth_secret=SECRET,
            database=f"bench_{run}_base",
            vault_database=f"bench_{run}_vault",
        )
        compaction = Compaction()
        started = time.perf_counter()
        replayed = await rebuild_into(settings, f"bench_{run}_replay", switch=False)
        replay_s = time.perf_counter() - started
        written, write_s = await raw_write(mongo_url, f"bench_{run}_replay", f"bench_{run}_raw")
    finally:
        for name in ("bench-projections", "bench-sales", "bench-contacts"):
            Managed(name, state).stop()
        await asyncio.to_thread(infra.down)

    consume_rate = consumed / consume_s
    # Events whose final documents the raw write stored per second: every event on the topics,
    # the live phase's included, as the replay reads them all.
    write_rate = replayed.done / write_s
    replay_rate = replayed.done / replay_s
    table = Table(
        title=f"{replayed.done:,} events replayed ({args.events:,} generated on "
        f"{args.customers:,} customers, the rest from the live phase), 3 partitions per topic"
    )
    table.add_column("measure")
    table.add_column("figure", justify="right")
    table.add_row("raw aiokafka consume-only", f"{consume_rate:,.0f} events/s")
    table.add_row(
        "raw PyMongo bulk_write of the final documents",
        f"{written / write_s:,.0f} docs/s = {write_rate:,.0f} events/s",
    )
    table.add_row("projector replay (all read models)", f"{replay_rate:,.0f} events/s")
    table.add_row("projector / raw consume", f"{replay_rate / consume_rate:.2f}")
    table.add_row("projector / raw write", f"{replay_rate / write_rate:.2f}")
    table.add_row(
        "projector / slower baseline", f"{replay_rate / min(consume_rate, write_rate):.2f}"
    )
    if compaction.documents:
        table.add_row(
            "compaction (replay)",
            f"{replayed.done / compaction.documents:.2f} events per customer_360 document written",
        )
    for m in results:
        pooled = m.pooled
        if not pooled:
            table.add_row(f"live, {m.existing:,} customers in the store", "nothing visible")
            continue
        table.add_row(
            f"live mixed at {args.rate} commands/s, {m.existing:,} customers in the store, "
            f"p50 / p99 ({args.rounds} x {args.seconds} s after {args.warmup} s warm-up)",
            f"{pct(pooled, 50):.1f} / {pct(pooled, 99):.1f} ms",
        )
        table.add_row(
            "  per round, p50 / p99", ", ".join(f"{a:.0f} / {b:.0f} ms" for a, b in m.rounds)
        )
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
        issued = args.rate * args.seconds * args.rounds
        table.add_row("  commands visible / failed", f"{len(pooled)} / {len(m.failed)} of {issued}")
    measured = [m for m in results if m.pooled]
    if len(measured) > 1:
        first, last = measured[0], measured[-1]
        table.add_row(
            f"p99 at {last.existing:,} / p99 at {first.existing:,} customers (target <= 1.2)",
            f"{pct(last.pooled, 99) / pct(first.pooled, 99):.2f}",
        )
    if baseline:
        table.add_row(
            f"raw Kafka -> MongoDB insert at {args.rate}/s, p50 / p99",
            f"{pct(baseline, 50):.1f} / {pct(baseline, 99):.1f} ms",
        )
    console.print(table)


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
    parser.add_argument("--kafka-port", type=int, default=29192)
    parser.add_argument("--mongo-port", type=int, default=29190)
    os.environ.setdefault("CRM_LOG_LEVEL", "WARNING")
    # A terminated run still stops the broker and store it started (the finally block runs).
    signal.signal(signal.SIGTERM, _terminated)
    uvloop.run(main(parser.parse_args()))
