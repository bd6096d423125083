"""Long-stream benchmark on the real store (not a timed test; issue 10, ADR 20).

One command, tagging a customer, on a new stream (a customer just registered: 3 events) and
on a stream of --events events (alternating tag and untag), with snapshots every --interval
events and, as the raw baseline measured in the same run on the same store, without them.
The four cases run interleaved in rounds, so the machine's drift touches each alike. Prints
p50/p99 per case, the events each command read from the store, and the ratio long/new
(target <= 2 with snapshots).

Only the store is started (FerretDB, by the project's launcher, in a state directory of its
own): a command's publish to Kafka costs the same on any stream, so it is left out (events
go to an in-memory publisher), which makes the ratio stricter, not looser.

    python3 -m uv run python bench/long_streams.py --events 10000 --interval 50
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import uvloop
from crm_contacts.domain import customer as c
from crm_contacts_contracts.events import CustomerType, PartyKind, TagAdded, TagRemoved
from crm_kernel.adapters.mongo import mongo_client
from crm_kernel.adapters.mongo_eventstore import MongoEventStore
from crm_kernel.adapters.mongo_keystore import MongoKeyStore
from crm_kernel.adapters.mongo_snapshots import MongoSnapshotStore
from crm_kernel.application import CommandHandler
from crm_kernel.domain.envelope import EventEnvelope, Metadata, wrap
from crm_kernel.relay import Relay
from crm_kernel.settings import ServiceSettings
from crm_local.infra import FerretDB, InfraSettings
from crm_local.processes import port_open
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

console = Console(width=120)  # the table stays readable in a log
META = Metadata(actor="bench")


class Discarded:
    """The publisher: Kafka is left out (see above)."""

    async def publish(self, envelopes: list[EventEnvelope]) -> None:
        pass


class CountingStore(MongoEventStore):
    """The service's event store, counting the events commands read from it."""

    events_read = 0

    async def read_stream(self, stream_id: str, after: int = 0) -> list[EventEnvelope]:
        events = await super().read_stream(stream_id, after)
        self.events_read += len(events)
        return events


def register(cid: str) -> c.RegisterCustomer:
    return c.RegisterCustomer(
        customer_id=cid,
        kind=PartyKind.PERSON,
        customer_type=CustomerType.CONSUMER,
        name="Lucía Fernández",
        email=f"lucia.{cid[:8]}@example.com",
    )


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


class Case:
    def __init__(self, name: str, handler: CommandHandler[Any, Any], long_stream: str | None):
        self.name = name
        self.handler = handler
        self.long_stream = long_stream  # None: a new customer per command
        self.fresh: list[str] = []
        self.ms: list[float] = []
        self.read: list[int] = []
        self.tagged = False
        self.tag = f"vip-{handler.__class__.__name__}-{id(self)}"  # each case its own tag

    async def prepare(self, commands: int) -> None:
        """New customers for the new-stream case, registered before the clock runs."""
        if self.long_stream is None:
            for _ in range(commands):
                cid = str(uuid.uuid4())
                await self.handler.handle(c.stream_of(cid), register(cid), META)
                self.fresh.append(cid)

    async def run(self, commands: int, store: CountingStore) -> None:
        for _ in range(commands):
            if self.long_stream is None:
                cid = self.fresh.pop()
                command: c.Command = c.AddTag(customer_id=cid, tag="vip")
            else:
                cid = self.long_stream.removeprefix("customer-")
                kind = c.RemoveTag if self.tagged else c.AddTag
                command = kind(customer_id=cid, tag=self.tag)
                self.tagged = not self.tagged
            before = store.events_read
            started = time.perf_counter()
            result = await self.handler.handle(c.stream_of(cid), command, META)
            self.ms.append((time.perf_counter() - started) * 1000)
            self.read.append(store.events_read - before)
            assert result.event_ids, "every measured command appends one event"


async def append_long_stream(store: CountingStore, long_id: str, version: int, events: int) -> None:
    """Grow the customer's stream to `events` events, appended straight to the store, one
    event per commit as commands leave them, and marked published (no relay runs here): the
    clock is not running yet."""
    long_stream = c.stream_of(long_id)
    started = time.perf_counter()
    with Progress(console=console) as bar:
        task = bar.add_task(f"a stream of {events:,} events", total=events)
        while version < events:
            kind = TagAdded if version % 2 else TagRemoved
            event = kind(customer_id=long_id, tag="pre")
            envelopes = wrap(
                [event],
                source="crm.contacts",
                stream_id=long_stream,
                expected_version=version,
                metadata=META,
            )
            commit = await store.append(long_stream, version, envelopes)
            await store.mark_published([commit])
            version = commit.version
            bar.update(task, completed=version)
    console.print(f"{events:,} events appended in {time.perf_counter() - started:.0f} s")


async def measure(cases: list[Case], counts: list[int], rounds: int, store: CountingStore) -> None:
    """A warm-up command per case, then `rounds` rounds of `counts` commands, interleaved."""
    for case in cases:  # warm-up: first reads of each path, the stream into the cache
        await case.run(1, store)
        case.ms.clear()
        case.read.clear()
    for n in range(rounds):
        for case, count in zip(cases, counts, strict=True):
            await case.run(count, store)
        console.print(
            f"after round {n + 1}, p50 per case so far: "
            + ", ".join(f"{statistics.median(case.ms):.1f}" for case in cases)
            + " ms"
        )


def report(args: argparse.Namespace, cases: list[Case], per_round: int, counts: list[int]) -> None:
    """The table per case, then the long/new ratios with and without snapshots."""
    table = Table(
        title=f"tag a customer: {per_round * args.rounds} commands per case "
        f"({counts[-1] * args.rounds} on the long stream without snapshots) in {args.rounds} "
        f"interleaved rounds, snapshots every {args.interval} events, FerretDB (SQLite)"
    )
    for column in ("case", "commands", "p50 ms", "p99 ms", "events read, mean / max"):
        table.add_column(column, justify="left" if column == "case" else "right")
    for case in cases:
        table.add_row(
            case.name,
            str(len(case.ms)),
            f"{pct(case.ms, 50):.2f}",
            f"{pct(case.ms, 99):.2f}",
            f"{statistics.fmean(case.read):.1f} / {max(case.read)}",
        )
    console.print(table)
    new, long, raw_new, raw_long = cases
    for label, a, b in (
        ("with snapshots (target <= 2)", long, new),
        ("without snapshots (raw baseline)", raw_long, raw_new),
    ):
        console.print(
            f"{args.events:,} events / new stream, {label}: "
            f"p50 {pct(a.ms, 50) / pct(b.ms, 50):.2f}x, p99 {pct(a.ms, 99) / pct(b.ms, 99):.2f}x"
        )


async def main(args: argparse.Namespace) -> None:
    state = Path(tempfile.mkdtemp(prefix="crm-bench-long-"))
    settings = InfraSettings(state_dir=state, mongo_port=args.mongo_port)
    ferretdb = FerretDB(settings)
    if port_open("127.0.0.1", args.mongo_port):
        console.print(f"[red]error:[/red] port {args.mongo_port} is taken: pass --mongo-port")
        return
    await asyncio.to_thread(ferretdb.up)
    client = mongo_client(settings.mongo_url)
    try:
        run = uuid.uuid4().hex[:6]
        db = client[f"bench_{run}_contacts"]
        # One service process: one store (and its commit cache), one key store, two handlers.
        # With the service's commit cache: the raw baseline then folds from memory, as a
        # service does while the stream is in its cache.
        store = CountingStore(db, recent_commits=ServiceSettings().recent_commits)
        await store.ensure_indexes()
        keys = MongoKeyStore(client[f"bench_{run}_vault"])
        relay = Relay(store, Discarded())

        def handler(interval: int) -> CommandHandler[Any, Any]:
            return CommandHandler(
                source="crm.contacts",
                decider=c.customer_decider,
                store=store,
                keys=keys,
                relay=relay,
                snapshots=MongoSnapshotStore(db),
                snapshot_interval=interval,
            )

        snapshotting, plain = handler(args.interval), handler(0)
        long_id = str(uuid.uuid4())
        long_stream = c.stream_of(long_id)
        version = (await snapshotting.handle(long_stream, register(long_id), META)).version
        await append_long_stream(store, long_id, version, args.events)
        cases = [
            Case("new stream, snapshots", snapshotting, None),
            Case(f"{args.events:,} events, snapshots", snapshotting, long_stream),
            Case("new stream, no snapshots (raw baseline)", plain, None),
            Case(f"{args.events:,} events, no snapshots (raw baseline)", plain, long_stream),
        ]
        per_round = max(1, args.commands // args.rounds)
        # Replaying the whole long stream per command takes seconds: fewer of those.
        counts = [per_round, per_round, per_round, max(1, args.raw_commands // args.rounds)]
        for case, count in zip(cases, counts, strict=True):
            await case.prepare(count * args.rounds + 1)  # and one to warm up
        await measure(cases, counts, args.rounds, store)
    finally:
        await client.close()
        await asyncio.to_thread(ferretdb.process.stop)

    report(args, cases, per_round, counts)


def _terminated(*_: object) -> None:
    raise KeyboardInterrupt  # so a `timeout` still stops the store this run started


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminated)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000, help="length of the long stream")
    parser.add_argument("--interval", type=int, default=50, help="CRM_SNAPSHOT_INTERVAL")
    parser.add_argument("--commands", type=int, default=200, help="measured commands per case")
    parser.add_argument(
        "--raw-commands", type=int, default=12, help="on the long stream without snapshots"
    )
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--mongo-port", type=int, default=27218)
    uvloop.run(main(parser.parse_args()))
