"""The local platform's token keys, one set per profile (CRM_INFRA_STATE_DIR): the issuer's
private keys in `auth-keys.json` (0600 from creation: only `crm token` reads it) and their
public key set in `auth-jwks.json`, the only key material the services get (CRM_AUTH_JWKS).
The first key signs; the others verify the tokens they signed until those expire."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from contextlib import suppress
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

from crm_kernel.auth import SigningKey, public_key_set

from crm_local.infra import InfraSettings
from crm_local.processes import LauncherError, private_dir

KEYS_FILE = "auth-keys.json"
JWKS_FILE = "auth-jwks.json"


def signing_keys(settings: InfraSettings, create: bool = True) -> list[SigningKey]:
    """The profile's keys, newest (the signing one) first; made once per profile. Without
    `create`, a profile that has none yet is an error: a token signed with a fresh key would
    only meet 401s from a platform running on another profile."""
    path = settings.state_dir / KEYS_FILE
    if not path.exists() and not create:
        raise LauncherError(
            f"no token keys in {settings.state_dir}: start the platform first (`make run`), "
            "or set CRM_INFRA_STATE_DIR to the profile the services run on"
        )
    if not path.exists():
        with suppress(FileExistsError):  # another launcher made them a moment ago: use those
            _write(settings, [SigningKey.generate()], replace=False)
    document = json.loads(path.read_text())
    return [SigningKey.from_private_jwk(jwk) for jwk in document["keys"]]


def public_key_set_file(settings: InfraSettings) -> Path:
    """The file of the public key set the services verify with (rewritten from the keys)."""
    keys = signing_keys(settings)
    path = settings.state_dir / JWKS_FILE
    text = public_key_set(keys)
    if not path.exists() or path.read_text() != text:
        _private_write(path, text, replace=True)
    return path


def rotate(settings: InfraSettings, keep_for: timedelta, now: float) -> SigningKey:
    """A new signing key; the old ones stay while a token they signed may still be valid."""
    new = SigningKey.generate()
    _write(settings, retained([new, *signing_keys(settings, create=False)], keep_for, now))
    return new


def retained(keys: Sequence[SigningKey], keep_for: timedelta, now: float) -> list[SigningKey]:
    """`keys` newest first, without those replaced more than `keep_for` ago (a key signs until
    the next one is made, and none of its tokens outlives that by more than the cap)."""
    kept = [keys[0]]
    for newer, older in pairwise(keys):
        if newer.created_at + keep_for.total_seconds() > now:
            kept.append(older)
    return kept


def _write(settings: InfraSettings, keys: Sequence[SigningKey], replace: bool = True) -> None:
    private_dir(settings.state_dir)
    document = json.dumps({"keys": [key.private_jwk() for key in keys]})
    _private_write(settings.state_dir / KEYS_FILE, document, replace=replace)
    _private_write(settings.state_dir / JWKS_FILE, public_key_set(keys), replace=True)


def _private_write(path: Path, text: str, replace: bool) -> None:
    """`text` into `path`, created 0600 (never readable by others even for a moment); with
    `replace`, through a temporary file renamed over it, so a reader sees old or new."""
    target = path.with_name(path.name + ".new") if replace else path
    if replace:
        target.unlink(missing_ok=True)
    with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        out.write(text)
    if replace:
        os.replace(target, path)
