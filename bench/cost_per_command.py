"""What a command costs the platform, in figures this shared machine does not blur: store round
trips and CPU seconds per 1,000 commands, per kind of command and per process (not a timed
test; wall-clock latency swings twofold with the machine's load, these figures hardly do).

One platform as bench/projector.py starts it (its own Kafka, FerretDB, and the contacts, sales
and projections services), every service wrapped by bench/mongo_counting.py so that each
PyMongo command it sends is counted. After a preload and a warm-up, phases of --commands
commands at --rate per second, one kind at a time and then the mixed workload of
bench/projector.py, each command followed by the 360 read that waits for it
(`?after=`), as the live benchmark does. Around each phase: the services' store commands, the
CPU seconds (user + system) of every process (Kafka, FerretDB, each service, this client) and
the events the 360 projector folded. Then the raw baseline in the same run, on the same broker
and store: aiokafka produce (acks=all) -> consume -> one PyMongo insert per command, at the
same rate, and the ratios.

    python3 -m uv run python bench/cost_per_command.py --existing 1000 --commands 1000 --rate 100

`--json FILE` keeps the figures, to set runs of two commits side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil
import uvloop
from mongo_counting import CommandCounts, ask_counts
from projector import (
    KINDS,
    SERVICES,
    Platform,
    _terminated,
    bench_auth,
    console,
    live_latency,
    pct,
    ports_free,
    preload,
    projector_counters,
    raw_latency,
)
from pymongo import monitoring
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
# After the last command's read, before the closing sample: the relay's batched marker deletes
# and the projector's offset commit that the phase's commands caused land inside it.
TAIL_S = 2.0
PHASES = (*((kind,) for kind in KINDS), KINDS)  # each kind alone, then the mixed workload
# Commands that only keep a connection alive, not the work of a command.
wide = Console(width=160)  # the tables have a column per phase
HOUSEKEEPING = {"hello", "ismaster", "isMaster", "ping", "endSessions", "buildInfo"}


class CountedPlatform(Platform):
    """bench/projector.py's platform, its services started under the command counter."""

    def counts_file(self, service: str) -> Path:
        return self.state / f"mongo-{service}.json"

    def command(self, name: str) -> list[str]:
        counter = str(HERE / "mongo_counting.py")
        return [sys.executable, counter, str(self.counts_file(name)), f"crm_{name}"]

    def processes(self) -> dict[str, psutil.Process]:
        """Every process of the platform by name, and this client."""
        found = {part.process.name: part.process.pid() for part in self.infra.parts}
        found |= {name: p.pid() for name, p in zip(SERVICES, self.services(), strict=True)}
        missing = [name for name, pid in found.items() if pid is None]
        if missing:
            raise RuntimeError(f"not running: {', '.join(missing)}")
        return {name: psutil.Process(pid) for name, pid in found.items() if pid} | {
            "bench client": psutil.Process()
        }

    async def mongo_counts(self) -> dict[str, dict[str, list[int]]]:
        paths = {self.counts_file(name): name for name in SERVICES}
        answers = await asyncio.to_thread(ask_counts, list(paths))
        return {paths[path]: counts for path, counts in answers.items()}


def cpu_seconds(process: psutil.Process) -> float:
    """User + system CPU of the process and every process it started (a launcher's JVM)."""
    total = 0.0
    for each in [process, *process.children(recursive=True)]:
        times = each.cpu_times()
        total += times.user + times.system
    return total


@dataclass
class Sample:
    cpu: dict[str, float]
    mongo: dict[str, dict[str, list[int]]]
    projected: float  # events the 360 projector folded so far


@dataclass
class Cost:
    """One phase's figures, per command (CPU: seconds per 1,000 commands)."""

    label: str
    commands: int
    failed: int
    cpu_per_1000: dict[str, float]
    mongo_per_command: dict[str, dict[str, float]]  # service -> "command collection" -> n
    store_ms_per_command: dict[str, float]  # service -> its commands' server time
    projected_per_command: float
    p50_ms: float
    p99_ms: float
    wall_s: float
    notes: dict[str, float] = field(default_factory=dict)

    def round_trips(self, service: str) -> float:
        return sum(
            n for key, n in self.mongo_per_command.get(service, {}).items() if not _idle(key)
        )


def _idle(key: str) -> bool:
    return key.split(" ", 1)[0] in HOUSEKEEPING


async def sample(platform: CountedPlatform, processes: dict[str, psutil.Process]) -> Sample:
    counters = await projector_counters(platform.urls["projections"])
    return Sample(
        cpu={name: cpu_seconds(p) for name, p in processes.items()},
        mongo=await platform.mongo_counts(),
        projected=counters.get("events", 0.0),
    )


def cost_between(
    before: Sample, after: Sample, commands: int
) -> tuple[dict[str, float], dict[str, dict[str, float]], dict[str, float]]:
    cpu = {name: (after.cpu[name] - before.cpu[name]) * 1000 / commands for name in after.cpu}
    mongo: dict[str, dict[str, float]] = {}
    store_ms: dict[str, float] = {}
    for service, counts in after.mongo.items():
        earlier = before.mongo.get(service, {})
        mongo[service] = {
            key: (n - earlier.get(key, [0, 0])[0]) / commands
            for key, (n, _) in counts.items()
            if n != earlier.get(key, [0, 0])[0]
        }
        store_ms[service] = sum(
            (micros - earlier.get(key, [0, 0])[1]) / 1000 / commands
            for key, (_, micros) in counts.items()
            if not _idle(key)
        )
    return cpu, mongo, store_ms


async def phase(
    platform: CountedPlatform,
    processes: dict[str, psutil.Process],
    kinds: tuple[str, ...],
    args: argparse.Namespace,
) -> Cost:
    platform.workload.kinds = kinds
    label = "mixed" if len(kinds) > 1 else kinds[0]
    before = await sample(platform, processes)
    started = time.perf_counter()
    latencies, failed = await live_latency(platform, args.rate, args.commands // args.rate, label)
    wall_s = time.perf_counter() - started
    await asyncio.sleep(TAIL_S)
    after = await sample(platform, processes)
    # Per command accepted and seen in the view: on a loaded machine a few answer 503 (past
    # their deadline) or 409 (two commands on one customer at once); they are counted apart.
    commands = args.commands // args.rate * args.rate - len(failed)
    cpu, mongo, store_ms = cost_between(before, after, commands)
    pooled = [v for values in latencies.values() for v in values]
    return Cost(
        label=label,
        commands=commands,
        failed=len(failed),
        cpu_per_1000=cpu,
        mongo_per_command=mongo,
        store_ms_per_command=store_ms,
        projected_per_command=(after.projected - before.projected) / commands,
        p50_ms=pct(pooled, 50) if pooled else 0.0,
        p99_ms=pct(pooled, 99) if pooled else 0.0,
        wall_s=wall_s,
    )


async def raw_phase(
    platform: CountedPlatform,
    processes: dict[str, psutil.Process],
    counted: CommandCounts,
    args: argparse.Namespace,
) -> Cost:
    """The floor: bench/projector.py's raw latency loop (produce, consume, insert) at the same
    rate on the same broker and store, its commands counted in this process."""
    seconds = args.commands // args.rate
    before_cpu = {name: cpu_seconds(p) for name, p in processes.items()}
    before = counted.snapshot()
    started = time.perf_counter()
    latencies = await raw_latency(
        platform.bootstrap, platform.mongo_url, platform.run, args.rate, seconds
    )
    wall_s = time.perf_counter() - started
    after_cpu = {name: cpu_seconds(p) for name, p in processes.items()}
    commands = seconds * args.rate
    after = counted.snapshot()
    mongo = {
        key: (n - before.get(key, [0, 0])[0]) / commands
        for key, (n, _) in after.items()
        if n != before.get(key, [0, 0])[0]
    }
    micros = sum(m - before.get(key, [0, 0])[1] for key, (_, m) in after.items() if not _idle(key))
    return Cost(
        label="raw baseline",
        commands=commands,
        failed=commands - len(latencies),
        cpu_per_1000={
            name: (after_cpu[name] - before_cpu[name]) * 1000 / commands
            for name in ("kafka", "ferretdb", "bench client")
        },
        mongo_per_command={"bench client": mongo},
        store_ms_per_command={"bench client": micros / 1000 / commands},
        projected_per_command=0.0,
        p50_ms=pct(latencies, 50),
        p99_ms=pct(latencies, 99),
        wall_s=wall_s,
    )


async def idle_cpu(processes: dict[str, psutil.Process], seconds: float) -> dict[str, float]:
    """CPU seconds per second of each process with no command at all (consumers' polling,
    sweeps): a share of every figure above, whatever the rate."""
    before = {name: cpu_seconds(p) for name, p in processes.items()}
    await asyncio.sleep(seconds)
    return {name: (cpu_seconds(p) - before[name]) / seconds for name, p in processes.items()}


async def main(args: argparse.Namespace) -> None:
    counted = CommandCounts()
    monitoring.register(counted)  # the raw baseline's client, made in this process
    platform = CountedPlatform(0, args.existing, args, uuid.uuid4().hex[:6], bench_auth())
    if not ports_free([platform]):
        return
    try:
        await platform.up(services=True)
        await preload(platform, args.concurrency)
        processes = platform.processes()
        platform.workload.kinds = KINDS
        await live_latency(platform, args.rate, args.warmup, "warm-up")
        await asyncio.sleep(TAIL_S)
        idle = await idle_cpu(processes, args.idle)
        costs = [await phase(platform, processes, kinds, args) for kinds in PHASES]
        costs.append(await raw_phase(platform, processes, counted, args))
    finally:
        platform.down()
    report(args, costs, idle)
    if args.json:
        keep(Path(args.json), args, costs, idle)


def keep(path: Path, args: argparse.Namespace, costs: list[Cost], idle: dict[str, float]) -> None:
    path.write_text(
        json.dumps({"args": vars(args), "idle": idle, "costs": [asdict(c) for c in costs]})
    )


def report(args: argparse.Namespace, costs: list[Cost], idle: dict[str, float]) -> None:
    *platform_costs, raw = costs
    names = list(platform_costs[0].cpu_per_1000)
    table = Table(
        title=f"Per 1,000 commands at {args.rate}/s ({args.commands:,} per phase, "
        f"{args.existing:,} customers in the store); CPU in seconds"
    )
    table.add_column("measure")
    for cost in costs:
        table.add_column(cost.label, justify="right")
    for service in SERVICES:
        table.add_row(
            f"store round trips per command: {service}",
            *(f"{c.round_trips(service):.2f}" for c in platform_costs),
            "",
        )
    table.add_row(
        "store round trips per command, all",
        *(f"{_round_trips(c):.2f}" for c in costs),
    )
    table.add_row(
        "store time per command (client side), all",
        *(f"{sum(c.store_ms_per_command.values()):.1f} ms" for c in costs),
    )
    table.add_row(
        "360 events folded per command; projections' round trips per event",
        *(
            f"{c.projected_per_command:.2f}; {c.round_trips('projections') / c.projected_per_command:.2f}"
            if c.projected_per_command
            else "-"
            for c in costs
        ),
    )
    for name in names:
        table.add_row(
            f"CPU: {name} (idle: {idle.get(name, 0) * 1000 / args.rate:.2f})",
            *(f"{c.cpu_per_1000[name]:.2f}" if name in c.cpu_per_1000 else "" for c in costs),
        )
    table.add_row("CPU: platform (all but the client)", *(f"{_platform_cpu(c):.2f}" for c in costs))
    table.add_row(
        "ratio to the raw baseline: round trips, platform CPU",
        *(
            f"{_round_trips(c) / _round_trips(raw):.1f}, {_platform_cpu(c) / _platform_cpu(raw):.1f}"
            for c in costs
        ),
    )
    table.add_row(
        "latency p50 / p99 (noisy), failed",
        *(f"{c.p50_ms:.0f} / {c.p99_ms:.0f} ms, {c.failed}" for c in costs),
    )
    wide.print(table)
    console.print(
        f"(idle: CPU seconds that {args.rate} s with no command cost each process, the same "
        "unit as the figures)"
    )
    wide.print(breakdown(platform_costs))


def _round_trips(cost: Cost) -> float:
    return sum(cost.round_trips(service) for service in cost.mongo_per_command)


def _platform_cpu(cost: Cost) -> float:
    return sum(v for name, v in cost.cpu_per_1000.items() if name != "bench client")


def breakdown(costs: list[Cost]) -> Table:
    """Each service's store commands per command, by command and collection."""
    table = Table(title="store commands per command, by service, command and collection")
    table.add_column("service: command collection")
    for cost in costs:
        table.add_column(cost.label, justify="right")
    for service in SERVICES:
        keys = sorted({key for c in costs for key in c.mongo_per_command.get(service, {})})
        for key in keys:
            values = [c.mongo_per_command.get(service, {}).get(key, 0.0) for c in costs]
            if max(values) >= 0.005:
                table.add_row(f"{service}: {key}", *(f"{v:.2f}" for v in values))
    return table


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--existing", type=int, default=1000, help="customers preloaded")
    parser.add_argument("--commands", type=int, default=1000, help="per phase")
    parser.add_argument("--rate", type=int, default=100, help="commands per second")
    parser.add_argument("--warmup", type=int, default=10, help="seconds of the mixed workload")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds with no command")
    parser.add_argument("--concurrency", type=int, default=16, help="preload requests in flight")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--kafka-port", type=int, default=29492)
    parser.add_argument("--mongo-port", type=int, default=29490)
    parser.add_argument("--service-port", type=int, default=19600)
    os.environ.setdefault("CRM_LOG_LEVEL", "WARNING")
    signal.signal(signal.SIGTERM, _terminated)  # a terminated run still stops its processes
    uvloop.run(main(parser.parse_args()))
