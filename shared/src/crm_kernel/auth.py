"""Bearer tokens with scopes per context (HS256 JWTs)."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta

import jwt

from crm_kernel.domain.envelope import utcnow

ALGORITHM = "HS256"
AUDIENCE = "crm"

# <context>:<write|read>, e.g. contacts:write, projections:read
ALL_SCOPES = tuple(
    f"{context}:{mode}"
    for context in ("contacts", "sales", "campaigns", "support", "projections")
    for mode in ("read", "write")
)


@dataclass(frozen=True)
class Principal:
    subject: str
    scopes: frozenset[str]


class InvalidTokenError(Exception):
    pass


def issue_token(secret: str, subject: str, scopes: list[str], ttl: timedelta) -> str:
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise ValueError(f"unknown scopes {unknown}; known: {', '.join(ALL_SCOPES)}")
    if not secret:
        raise ValueError("no auth secret: set CRM_AUTH_SECRET")
    now = utcnow()
    claims = {
        "sub": subject,
        "scope": " ".join(sorted(set(scopes))),
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> Principal:
    return _verified(secret, token)[0]


def _verified(secret: str, token: str) -> tuple[Principal, float]:
    """The token's principal and expiry (seconds since the epoch), or InvalidTokenError."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["exp", "sub"]},
        )
    except jwt.InvalidSignatureError:
        raise InvalidTokenError(
            "signature does not match this service's CRM_AUTH_SECRET: sign it with the same "
            "secret (locally: `crm token issue` with the CRM_INFRA_STATE_DIR the platform runs on)"
        ) from None
    except jwt.PyJWTError as error:
        raise InvalidTokenError(str(error)) from None
    principal = Principal(
        subject=str(claims["sub"]), scopes=frozenset(str(claims.get("scope", "")).split())
    )
    return principal, float(claims["exp"])


class TokenVerifier:
    """verify_token, remembering the tokens it verified until they expire (a bounded LRU): a
    caller sends the same token with request after request, and checking its signature and
    claims each time showed in the services' profiles. The cache is keyed by the whole token,
    signature included, so it accepts exactly what verify_token accepts."""

    def __init__(self, secret: str, remembered: int = 1024) -> None:
        self._secret = secret
        self._known: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._remembered = remembered

    def verify(self, token: str) -> Principal:
        known = self._known.get(token)
        if known is not None and known[1] > time.time():
            self._known.move_to_end(token)
            return known[0]
        self._known.pop(token, None)
        principal, expires = _verified(self._secret, token)
        self._known[token] = (principal, expires)
        while len(self._known) > self._remembered:
            self._known.popitem(last=False)
        return principal
