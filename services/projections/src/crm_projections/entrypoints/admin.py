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

from crm_projections.adapters.databases import POINTER, ActiveDatabase, FixedDatabase
from crm_projections.adapters.read_models import COLLECTIONS, Projectors, ReadModels
from crm_projections.adapters.read_store import BufferedReadStore
from crm_projections.application.replay import ReplayProgress, replay
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
    try:
        active = ActiveDatabase(client, settings.database_for(BASE))
        if target == await active.name():
            raise ValueError(f"{target} is the live database: rebuild into a new one")
        if await client[target].list_collection_names():
            raise ValueError(f"database {target} is not empty: pick another name or drop it")
        models = ReadModels.on(FixedDatabase(client[target]))
        await models.timeline.ensure_indexes()
        # The new database has one writer until the switch: fold in memory, write once.
        buffers = [BufferedReadStore(models.customers), BufferedReadStore(models.activities)]
        projectors = Projectors(models, MongoKeyStore(vault[settings.vault_database]), *buffers)

        previous: list[str] = []

        async def switch_over() -> None:
            for buffer in buffers:
                await buffer.flush()
            if not switch:
                return
            previous.append(await active.switch(target))
            console.print(f"readers switched from {previous[0]} to {target}; catching up")
            await asyncio.sleep(2)  # longer than the pointer cache, so every writer moved on

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>8.0f} events/s"),
            TextColumn("lag {task.fields[lag]}"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, disable=not show) as bar:
            task = bar.add_task(f"replaying into {target}", total=None, rate=0.0, lag=0)

            def update(p: ReplayProgress) -> None:
                bar.update(task, completed=p.done, total=p.total, rate=p.rate, lag=p.lag)

            try:
                return await replay(
                    settings.kafka_bootstrap,
                    projectors.handle,
                    on_progress=update,
                    between=switch_over,
                    read_on=switch,
                )
            except BaseException:
                if previous:  # never leave readers on a half-built database
                    await active.switch(previous[0])
                    console.print(f"rebuild failed: readers switched back to {previous[0]}")
                raise
    finally:
        await client.close()
        if vault is not client:
            await vault.close()


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
    """Drop a read-model database that is not live; says what it dropped. The base database
    holds the pointer to the live one, so there only the read models go and the pointer stays
    (dropping it whole sent every reader back to an empty database: 404s, silently)."""
    client = _client(settings)
    try:
        base = settings.database_for(BASE)
        if database == await ActiveDatabase(client, base).name():
            raise ValueError(f"{database} is live: switch to another one first")
        if database != base:
            await client.drop_database(database)
            return f"dropped {database}"
        for name in COLLECTIONS:
            await client[base].drop_collection(name)
        return f"dropped the read models of {base}; it keeps the pointer to the live database"
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
