"""Operations on the read side: rebuild (blue/green), verify, switch, drop, status.

`python -m crm_projections.admin --help`, or `crm projections --help` locally. Settings come
from the same CRM_* variables as the service.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from crm_kernel.adapters.mongo import mongo_client, vault_client
from crm_kernel.adapters.mongo_keystore import MongoKeyStore
from crm_kernel.settings import ServiceSettings
from pymongo import AsyncMongoClient
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from crm_projections.adapters.databases import (
    POINTER,
    ActiveDatabase,
    FixedDatabase,
    MongoDatabases,
)
from crm_projections.adapters.kafka_replay import ReplayProgress, replay
from crm_projections.adapters.read_models import COLLECTIONS, ReadModels
from crm_projections.adapters.read_store import BufferedReadStore
from crm_projections.adapters.timeline_write_behind import WriteBehindTimeline
from crm_projections.application import rebuild as blue_green
from crm_projections.application.projectors import DocumentStores, Projectors
from crm_projections.application.rebuild import BatchHandler, Between, Target
from crm_projections.application.verify import compare

app = typer.Typer(help="Rebuild, verify and switch the read models.", no_args_is_help=True)
console = Console(stderr=True)
BASE = "projections"


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)


ADMIN_SOCKET_TIMEOUT_MS = 600_000  # a rebuild's or a drop's single call may take minutes


def _client(settings: ServiceSettings) -> AsyncMongoClient[dict[str, Any]]:
    return mongo_client(settings.mongo_url, settings, socketTimeoutMS=ADMIN_SOCKET_TIMEOUT_MS)


async def rebuild_into(
    settings: ServiceSettings, target: str, *, switch: bool, show: bool = True
) -> ReplayProgress:
    """Replay every event into `target`; with `switch`, make it the live database."""
    client = _client(settings)
    vault = vault_client(settings, client, socketTimeoutMS=ADMIN_SOCKET_TIMEOUT_MS)

    timelines: list[WriteBehindTimeline] = []

    async def open_target(name: str) -> Target:
        models = ReadModels.on(FixedDatabase(client[name]))
        # The new database has one writer until the switch: fold in memory, write once; the
        # timeline is written behind the fold and indexed at the end.
        customers, activities, deals, leads, quotes, accounts, levels, campaigns = (
            BufferedReadStore(store)
            for store in (
                models.customers,
                models.activities,
                models.opportunities,
                models.leads,
                models.quotes,
                models.receivables,
                models.service_levels,
                models.campaign_results,
            )
        )
        timelines.append(timeline := WriteBehindTimeline(models.timeline))
        projectors = Projectors(
            customers=customers,
            redirects=models.redirects,
            documents=DocumentStores(
                activities=activities,
                opportunities=deals,
                leads=leads,
                quotes=quotes,
                receivables=accounts,
                service_levels=levels,
                campaign_results=campaigns,
            ),
            timeline=timeline,
            keys=MongoKeyStore(vault[settings.vault_database]),
        )
        return Target(
            handle=projectors.handle,
            buffers=(
                customers,
                activities,
                deals,
                leads,
                quotes,
                accounts,
                levels,
                campaigns,
                timeline,
            ),
        )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8.0f} events/s"),
        TextColumn("lag {task.fields[lag]}"),
        TimeRemainingColumn(),
    )

    async def replay_all(handle: BatchHandler, between: Between) -> ReplayProgress:
        with Progress(*columns, console=console, disable=not show) as bar:
            task = bar.add_task(f"replaying into {target}", total=None, rate=0.0, lag=0)

            def update(p: ReplayProgress) -> None:
                bar.update(task, completed=p.done, total=p.total, rate=p.rate, lag=p.lag)

            return await replay(
                settings.kafka_bootstrap,
                handle,
                on_progress=update,
                between=between,
                read_on=switch,
            )

    try:
        return await blue_green.rebuild(
            _databases(client, settings),
            target,
            open_target=open_target,
            replay=replay_all,
            switch=switch,
            say=console.print,
        )
    finally:
        for timeline in timelines:
            await timeline.close()
        await client.close()
        if vault is not client:
            await vault.close()


def _databases(
    client: AsyncMongoClient[dict[str, Any]], settings: ServiceSettings
) -> MongoDatabases:
    return MongoDatabases(client, settings.database_for(BASE), COLLECTIONS)


@app.command()
def rebuild(
    database: Annotated[
        str | None, typer.Option(help="New database (default: timestamped)")
    ] = None,
    switch: Annotated[bool, typer.Option(help="Switch readers to it when caught up")] = True,
) -> None:
    """Rebuild every read model from the beginning of the topics into a fresh database, then
    switch readers to it without downtime. The old database stays until `drop`."""
    settings = ServiceSettings()
    target = database or f"{settings.database_for(BASE)}_{datetime.now(UTC):%Y%m%d%H%M%S}"
    try:
        result = asyncio.run(rebuild_into(settings, target, switch=switch))
    except ValueError as error:
        _fail(str(error))
        return
    console.print(
        f"rebuilt {target}: {result.done} events at {result.rate:.0f} events/s"
        + (f", {result.malformed} malformed skipped" if result.malformed else "")
    )


@app.command()
def verify(
    against: Annotated[str, typer.Option(help="The database to compare with the live one")],
    live: Annotated[str | None, typer.Option(help="Instead of the live database")] = None,
) -> None:
    """Compare two read-model databases document by document (normalised hashes)."""
    settings = ServiceSettings()

    async def run() -> list[Any]:
        client = _client(settings)
        try:
            left = live or await ActiveDatabase(client, settings.database_for(BASE)).name()
            console.print(f"comparing {left} with {against}")
            return await compare(client[left], client[against], COLLECTIONS)
        finally:
            await client.close()

    reports = asyncio.run(run())
    table = Table("collection", "documents", "hash", "only left", "only right", "different")
    for r in reports:
        table.add_row(
            r.name,
            f"{r.left_count} / {r.right_count}",
            r.left_hash[:16] if r.equal else f"{r.left_hash[:8]} != {r.right_hash[:8]}",
            _ids(r.only_left),
            _ids(r.only_right),
            _ids(r.different),
        )
    console.print(table)
    if not all(r.equal for r in reports):
        _fail("the read models differ: see the table above")
    console.print("identical: every collection has the same normalised hash")


def _ids(ids: list[str]) -> str:
    return ", ".join(ids[:3]) + (f" (+{len(ids) - 3})" if len(ids) > 3 else "") if ids else "-"


@app.command()
def switch(database: str) -> None:
    """Point readers and the live projector at `database`."""
    settings = ServiceSettings()

    async def run() -> str:
        client = _client(settings)
        try:
            return await ActiveDatabase(client, settings.database_for(BASE)).switch(database)
        finally:
            await client.close()

    console.print(f"switched from {asyncio.run(run())} to {database}")


async def drop_read_models(settings: ServiceSettings, database: str) -> str:
    """Drop a read-model database that is not live; says what it dropped."""
    client = _client(settings)
    try:
        return await blue_green.drop(_databases(client, settings), database)
    finally:
        await client.close()


@app.command()
def drop(database: str) -> None:
    """Drop a read-model database that is no longer live."""
    try:
        console.print(asyncio.run(drop_read_models(ServiceSettings(), database)))
    except ValueError as error:
        _fail(str(error))


@app.command()
def status() -> None:
    """The live read-model database and the others kept beside it."""
    settings = ServiceSettings()

    async def run() -> tuple[str, list[str]]:
        client = _client(settings)
        try:
            base = settings.database_for(BASE)
            names = [n for n in await client.list_database_names() if n.startswith(base)]
            return await ActiveDatabase(client, base).name(), sorted(names)
        finally:
            await client.close()

    live, names = asyncio.run(run())
    base = settings.database_for(BASE)
    console.print(f"live read models: {live} (named by the pointer in {base}.{POINTER})")
    for name in names or [live]:
        console.print(f"{'* ' if name == live else '  '}{name}{'  (live)' if name == live else ''}")


if __name__ == "__main__":
    app()
