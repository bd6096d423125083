"""Projector benchmark on the real broker and store (not a timed test).

Generates N events across many customers, then measures in one run on the same data:
  1. raw aiokafka consume-only throughput (baseline),
  2. raw PyMongo bulk_write(ordered=False) of the same final documents (baseline),
  3. the projector's replay throughput (same code as `crm projections rebuild`),
  4. live end-to-end latency, command accepted -> visible in the 360 view, at a fixed rate,
     in several rounds (this shared machine's speed varies from minute to minute), and
  5. its baseline: raw aiokafka produce (acks=all) -> consume -> PyMongo insert, same rate.
Prints events/s, the ratios against both baselines, the events-per-document compaction of a
batch, and p50/p99 latency.

    python3 -m uv run python bench/projector.py --events 20000 --customers 2000 --rate 100
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
    for name in ("contacts", "projections"):
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


async def live_latency(
    urls: dict[str, str], rate: int, seconds: int, label: str = "live"
) -> list[float]:
    """POST /customers at `rate` per second; time from the 201 until the 360 view shows the
    command, read as a dashboard would: GET the view with the command's position (`after`).
    aiohttp on uvloop keeps the client's own CPU small: it shares the machine with the system."""
    scopes = ["contacts:write", "projections:read"]
    token = issue_token(SECRET, "bench", scopes, timedelta(hours=1))
    latencies: list[float] = []
    failed: list[str] = []
    async with aiohttp.ClientSession(
        headers={"Authorization": f"Bearer {token}"},
        timeout=aiohttp.ClientTimeout(total=60),
        connector=aiohttp.TCPConnector(limit=0),
    ) as http:

        async def command(n: int) -> None:
            cid = str(uuid.uuid4())
            body = {"customer_id": cid, "name": f"Live {n}"}
            try:
                async with http.post(f"{urls['contacts']}/customers", json=body) as response:
                    if response.status != 201:
                        failed.append(str(response.status))
                        return
                    accepted = time.perf_counter()
                    answer = await response.json()
            except aiohttp.ClientError as error:
                failed.append(type(error).__name__)  # the service's log says why
                return
            query = {"after": f"{answer['stream_id']}@{answer['version']}", "wait_ms": "10000"}
            while True:
                async with http.get(f"{urls['projections']}/customers/{cid}", params=query) as view:
                    if view.status == 503:
                        continue  # not caught up within wait_ms: ask again
                    view.raise_for_status()
                    await view.read()
                    break
            latencies.append((time.perf_counter() - accepted) * 1000)

        tasks = []
        started = time.perf_counter()
        with Progress(console=console) as bar:
            task = bar.add_task(f"{label} at {rate} commands/s", total=rate * seconds)
            for n in range(rate * seconds):
                await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
                tasks.append(asyncio.create_task(command(n)))
                bar.update(task, advance=1)
            await asyncio.gather(*tasks)
    if failed:
        console.print(
            f"[yellow]{len(failed)} of {rate * seconds} commands failed "
            f"({', '.join(sorted(set(failed)))}): the write side did not keep up with {rate}/s[/yellow]"
        )
    return latencies


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
        latencies: list[float] = []
        rounds: list[tuple[float, float]] = []
        baseline: list[float] = []
        if args.rate > 0:
            # First, on empty topics: the live projector is caught up from its first event.
            urls = await asyncio.to_thread(start_services, infra_settings, state, run)
            if args.warmup:
                # The JVM's JIT and the services' first requests make the first seconds slow;
                # those are discarded, as in any latency benchmark.
                await live_latency(urls, args.rate, args.warmup, "warm-up")
            for _ in range(args.rounds):
                figures = await live_latency(urls, args.rate, args.seconds)
                rounds.append((pct(figures, 50), pct(figures, 99)))
                console.print(
                    f"round {len(rounds)}: p50 {rounds[-1][0]:.0f} ms, p99 {rounds[-1][1]:.0f} ms"
                )
                latencies += figures
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
        for name in ("bench-projections", "bench-contacts"):
            Managed(name, state).stop()
        await asyncio.to_thread(infra.down)

    consume_rate = consumed / consume_s
    write_rate = (
        args.events / write_s
    )  # events whose final documents the raw write stored per second
    replay_rate = replayed.done / replay_s
    table = Table(title=f"{args.events} events, {args.customers} customers, 3 partitions per topic")
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
    if latencies:
        for q in (50, 99):
            table.add_row(
                f"live latency at {args.rate} commands/s, p{q} "
                f"({args.rounds} x {args.seconds} s after {args.warmup} s warm-up)",
                f"{pct(latencies, q):.1f} ms",
            )
        table.add_row(
            "  per round, p50 / p99",
            ", ".join(f"{p50:.0f} / {p99:.0f} ms" for p50, p99 in rounds),
        )
        for q in (50, 99):
            table.add_row(
                f"raw Kafka -> MongoDB insert at {args.rate}/s, p{q}",
                f"{pct(baseline, q):.1f} ms",
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
    parser.add_argument("--kafka-port", type=int, default=29192)
    parser.add_argument("--mongo-port", type=int, default=29190)
    os.environ.setdefault("CRM_LOG_LEVEL", "WARNING")
    # A terminated run still stops the broker and store it started (the finally block runs).
    signal.signal(signal.SIGTERM, _terminated)
    uvloop.run(main(parser.parse_args()))
