"""`crm`: run the platform locally, manage its infra, issue tokens, publish the catalogue."""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from crm_kernel.adapters.mongo_revocations import MongoRevocations
from crm_kernel.auth import (
    ALL_SCOPES,
    FEED_SCOPE,
    TOKEN_ID,
    InvalidTokenError,
    KeySet,
    issue_token,
    public_key_set,
    token_identity,
)
from crm_kernel.domain.envelope import utcnow
from crm_kernel.settings import ServiceSettings
from crm_kernel.tokens import caps_of
from crm_projections.entrypoints.admin import app as projections_admin
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from crm_local import catalogue as event_catalogue
from crm_local import sample_data
from crm_local.infra import Infra, InfraSettings, console
from crm_local.keys import rotate, signing_keys
from crm_local.platform import SERVICES, Platform
from crm_local.processes import LauncherError

LONGEST_CAP = timedelta(days=366)  # the most any CRM_AUTH_MAX_*_DAYS setting allows

app = typer.Typer(help="The CRM platform on this machine, no Docker needed.", no_args_is_help=True)
infra_app = typer.Typer(
    help="Kafka (KRaft) and FerretDB (MongoDB wire protocol) only.", no_args_is_help=True
)
token_app = typer.Typer(help="Bearer tokens for the local platform.", no_args_is_help=True)
catalogue_app = typer.Typer(
    help="The event catalogue and AsyncAPI documents.", no_args_is_help=True
)
app.add_typer(infra_app, name="infra")
app.add_typer(token_app, name="token")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(projections_admin, name="projections")


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _fail(error: LauncherError) -> None:
    console.print(f"[red]error:[/red] {error}")
    raise typer.Exit(1)


@app.command()
def up(
    detach: Annotated[
        bool, typer.Option("--detach", "-d", help="Return once everything is up")
    ] = False,
    sample: Annotated[bool, typer.Option(help="Load the sample data set")] = True,
) -> None:
    """Start Kafka, FerretDB and the five services; load sample data; stop on Ctrl-C."""
    platform = Platform(InfraSettings())
    try:
        platform.up()
        if sample:
            urls = {name: platform.url(name) for name in SERVICES}
            ids = sample_data.load(urls, signing_keys(platform.settings)[0])
            console.print(
                f"sample data: {len(ids)} customers, e.g. "
                f"{platform.url('projections')}/customers/{ids[0]}"
            )
        console.print(
            "token for curl: [bold]export TOKEN=$(python3 -m uv run crm token issue)[/bold]"
        )
        if detach:
            console.print(
                "running in the background; stop with [bold]python3 -m uv run crm down[/bold]"
            )
            return
        console.print("press Ctrl-C to stop")
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops everything too
        platform.wait_forever()
    except LauncherError as error:
        _fail(error)
    except KeyboardInterrupt:
        console.print("stopping...")
    if not detach:
        platform.down()


@app.command()
def down() -> None:
    """Stop the services and the infrastructure."""
    Platform(InfraSettings()).down()


@app.command()
def status() -> None:
    """Which processes run (pid) and which do not."""
    for name, pid in Platform(InfraSettings()).status().items():
        console.print(f"{name:<12} {'running, pid ' + str(pid) if pid else 'stopped'}")


@infra_app.command("up")
def infra_up() -> None:
    """Fetch (first time), start and wait for Kafka and FerretDB."""
    try:
        Infra(InfraSettings()).up()
    except LauncherError as error:
        _fail(error)


@infra_app.command("down")
def infra_down() -> None:
    Infra(InfraSettings()).down()


@infra_app.command("status")
def infra_status() -> None:
    settings = InfraSettings()
    for name, pid in Infra(settings).status().items():
        console.print(f"{name:<10} {'running, pid ' + str(pid) if pid else 'stopped'}")
    console.print(
        f"kafka {settings.kafka_bootstrap}  mongodb {settings.mongo_url}  "
        f"state {settings.state_dir}"
    )


@infra_app.command("logs")
def infra_logs(
    name: Annotated[str, typer.Argument(help="kafka, ferretdb or a service")] = "kafka",
    lines: int = 40,
) -> None:
    """Print the end of a process's log file."""
    path = InfraSettings().state_dir / "logs" / f"{name}.log"
    if not path.exists():
        _fail(LauncherError(f"no log at {path}: has {name} been started?"))
    console.print(f"[dim]{path}[/dim]")
    print("\n".join(path.read_text(errors="replace").splitlines()[-lines:]))


@infra_app.command("wipe")
def infra_wipe() -> None:
    """Delete the local data (topics, databases); downloads stay cached."""
    try:
        Infra(InfraSettings()).wipe()
    except LauncherError as error:
        _fail(error)


@token_app.command("issue")
def token_issue(
    subject: Annotated[str, typer.Option("--sub", help="Who the token speaks for")] = "local-dev",
    scopes: Annotated[
        list[str] | None, typer.Option("--scope", help="Repeat; default: all")
    ] = None,
    feed_owner: Annotated[
        str | None,
        typer.Option(help="A calendar feed token: reads this owner's feed and nothing else"),
    ] = None,
    hours: Annotated[
        float | None, typer.Option(help="Lifetime in hours; default 8, a feed token 720")
    ] = None,
) -> None:
    """Print a bearer token signed with the local platform's current key."""
    try:
        if feed_owner is not None and scopes:
            raise ValueError(f"a feed token has the scope {FEED_SCOPE} only: drop --scope")
        print(
            issue_token(
                signing_keys(InfraSettings(), create=False)[0],
                subject,
                [FEED_SCOPE] if feed_owner is not None else scopes or list(ALL_SCOPES),
                timedelta(hours=hours or (720.0 if feed_owner is not None else 8.0)),
                owner=feed_owner,
                caps=caps_of(ServiceSettings()),
            )
        )
    except ValueError as error:
        _fail(LauncherError(str(error)))
    except LauncherError as error:
        _fail(error)


@token_app.command("revoke")
def token_revoke(
    token: Annotated[str, typer.Argument(help="The token, or its id (jti)")],
) -> None:
    """Revoke a token: every service refuses it within CRM_AUTH_REFRESH_S."""
    infra, settings = InfraSettings(), ServiceSettings()
    now = utcnow()
    try:
        if token.count(".") == 2:
            keys = KeySet.from_json(public_key_set(signing_keys(infra, create=False)))
            token_id, expires = token_identity(keys, token)
            expires_at = datetime.fromtimestamp(expires, UTC)
        elif TOKEN_ID.fullmatch(token):
            # Its expiry is unknown, and the services' caps may be longer than this shell's:
            # keep the entry as long as any cap allows (366 days).
            token_id, expires_at = token, now + LONGEST_CAP
        else:
            raise ValueError("give a token, or a token id (its jti claim)")
        if expires_at <= now:
            console.print(f"{token_id} has expired already: no service accepts it")
            return
        vault_url = settings.vault_mongo_url or infra.mongo_url  # the key store, if apart
        asyncio.run(_revoke(vault_url, settings.vault_database, token_id, expires_at))
    except (ValueError, InvalidTokenError) as error:
        _fail(LauncherError(f"cannot revoke: {error}"))
    except LauncherError as error:
        _fail(error)
    console.print(f"revoked {token_id}: refused within {settings.auth_refresh_s:g} s")


async def _revoke(mongo_url: str, vault: str, token_id: str, expires_at: datetime) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_url, tz_aware=True, serverSelectionTimeoutMS=5000
    )
    try:
        await MongoRevocations(client[vault]).revoke(token_id, expires_at, utcnow())
    except PyMongoError as error:
        raise LauncherError(
            f"the store at {mongo_url} does not answer ({type(error).__name__}): is the "
            "platform up (`crm up`)?"
        ) from None
    finally:
        await client.close()


@token_app.command("rotate-key")
def token_rotate_key() -> None:
    """Make a new signing key; tokens signed by the old ones stay valid until they expire."""
    caps = caps_of(ServiceSettings())
    try:
        key = rotate(InfraSettings(), max(caps.max_ttl, caps.max_feed_ttl), time.time())
    except LauncherError as error:
        _fail(error)
    console.print(
        f"new signing key {key.kid}: the services take it within CRM_AUTH_REFRESH_S "
        "(they reread the key set file); `crm token issue` signs with it from now on"
    )


@token_app.command("jwks")
def token_jwks() -> None:
    """Print the public key set (JWKS) to give services as CRM_AUTH_JWKS (e.g. with compose);
    the profile's keys are made if it has none yet, and `crm token issue` signs with them."""
    try:
        print(public_key_set(signing_keys(InfraSettings())))
    except LauncherError as error:
        _fail(error)


@catalogue_app.command("write")
def catalogue_write(root: Path = Path(".")) -> None:
    """Regenerate docs/events/catalogue.json and docs/asyncapi/*.json."""
    for path in event_catalogue.write(root):
        console.print(f"wrote {path}")


@catalogue_app.command("check")
def catalogue_check(root: Path = Path(".")) -> None:
    """Fail when the checked-in catalogue differs from the code."""
    stale = event_catalogue.stale(root)
    if stale:
        _fail(
            LauncherError(
                f"stale: {', '.join(map(str, stale))}: run `python3 -m uv run crm catalogue write`"
            )
        )
    console.print("catalogue is up to date")
