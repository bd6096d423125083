"""A service's token verifier, kept current: its public key set (CRM_AUTH_JWKS) and the
revocation list, refreshed in the background every CRM_AUTH_REFRESH_S. When a refresh fails
(the store or the key file does not answer) the last list and keys stay in force and the
failure is logged; readiness fails until the list is read again (`TokenAuth.revocation_list`), so a
load balancer stops sending traffic that a revocation might not reach."""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import structlog

from crm_kernel.auth import KeySet, TokenCaps, TokenVerifier
from crm_kernel.domain.envelope import utcnow
from crm_kernel.ports.revocations import Revocations
from crm_kernel.settings import ServiceSettings

log = structlog.get_logger(__name__)
STALE_AFTER_REFRESHES = 3


def key_set_text(source: str) -> str:
    """CRM_AUTH_JWKS: the key set itself (JSON, starting with `{`) or the path of a file
    holding it (reread at every refresh, so a rotated key set needs no restart)."""
    if not source.strip():
        raise ValueError(
            "CRM_AUTH_JWKS is empty: give the public key set (JWKS JSON, or a file path) that "
            "verifies tokens, e.g. `crm token jwks` (CRM_AUTH_SECRET is no longer used)"
        )
    if source.lstrip().startswith("{"):
        return source
    try:
        return Path(source).read_text()
    except OSError as error:
        raise ValueError(f"CRM_AUTH_JWKS names {source}, which cannot be read: {error}") from None


def caps_of(settings: ServiceSettings) -> TokenCaps:
    return TokenCaps(
        max_ttl=timedelta(days=settings.auth_max_token_days),
        max_feed_ttl=timedelta(days=settings.auth_max_feed_token_days),
    )


@dataclass
class TokenAuth:
    verifier: TokenVerifier
    source: str
    revocations: Revocations | None = None
    refresh_s: float = 5.0
    _text: str = field(default="", repr=False)
    _revocations_at: float | None = field(default=None, repr=False)  # monotonic

    @classmethod
    def of(cls, settings: ServiceSettings, revocations: Revocations | None = None) -> TokenAuth:
        """ValueError naming the fix when the key set is missing or not a public one."""
        text = key_set_text(settings.auth_jwks)
        verifier = TokenVerifier(KeySet.from_json(text), caps_of(settings))
        return cls(verifier, settings.auth_jwks, revocations, settings.auth_refresh_s, text)

    async def refresh(self) -> None:
        """Reread the key set, then the revocation list; each on its own, so a half-written
        key file never holds back a revocation. Raises the first failure after trying both."""
        failures: list[Exception] = []
        try:
            self._refresh_keys()
        except Exception as error:
            failures.append(error)
        if self.revocations is not None:
            try:
                self.verifier.revoked(await self.revocations.active(utcnow()))
                self._revocations_at = time.monotonic()
            except Exception as error:
                failures.append(error)
        if failures:
            raise failures[0]

    def _refresh_keys(self) -> None:
        text = key_set_text(self.source)
        if text != self._text:
            self.verifier.use_keys(KeySet.from_json(text))
            self._text = text
            log.info("token key set changed", kids=sorted(self.verifier.keys.kids))

    async def revocation_list(self) -> None:
        """A readiness check: the revocation list was read lately. Until it was read once, or
        once it is older than three refreshes, a revoked token could pass: the instance is
        not ready, so no traffic should reach it."""
        if self.revocations is None:
            return
        if self._revocations_at is None:
            raise RuntimeError("the revocation list has not been read yet")
        age = time.monotonic() - self._revocations_at
        if age > STALE_AFTER_REFRESHES * self.refresh_s:
            raise RuntimeError(f"the revocation list was last read {age:.0f} s ago")

    async def run(self, stop: asyncio.Event) -> None:
        """Refresh until `stop` is set; a failed refresh keeps what was known."""
        while not stop.is_set():
            try:
                await self.refresh()
            except Exception as error:
                log.warning(
                    "token refresh failed; the last keys and revocations stay", error=str(error)
                )
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.refresh_s)
