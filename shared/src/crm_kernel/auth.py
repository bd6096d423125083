"""Bearer tokens with scopes per context (HS256 JWTs)."""

from __future__ import annotations

import re
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


SCOPE = re.compile(r"^[a-z]+:(read|write)$")
MIN_SECRET_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 10  # 32 times the same letter is 32 characters, and no secret
MAX_TOKEN_TTL = timedelta(days=30)  # a token cannot be revoked yet: none lives long


def check_secret(secret: str) -> None:
    """ValueError unless `secret` is long and varied enough to sign tokens with."""
    if len(secret) < MIN_SECRET_LENGTH or len(set(secret)) < MIN_DISTINCT_CHARACTERS:
        raise ValueError(
            f"CRM_AUTH_SECRET must be at least {MIN_SECRET_LENGTH} characters with at least "
            f"{MIN_DISTINCT_CHARACTERS} different ones: make one with `openssl rand -hex 32`"
        )


def parse_scopes(claim: object) -> frozenset[str]:
    """The scopes of a token's `scope` claim, read strictly: single spaces between
    `<context>:<read|write>` and nothing else (no padding, no other white space)."""
    if not isinstance(claim, str):
        raise InvalidTokenError("the scope claim is not a string")
    if claim == "":
        return frozenset()
    scopes = claim.split(" ")
    if not all(SCOPE.match(scope) for scope in scopes):
        raise InvalidTokenError(f"the scope claim is malformed: {claim[:100]!r}")
    return frozenset(scopes)


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
    check_secret(secret)
    if ttl > MAX_TOKEN_TTL:
        raise ValueError(f"a token lives at most {MAX_TOKEN_TTL.days} days: ask for less")
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
            options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.InvalidSignatureError:
        raise InvalidTokenError(
            "signature does not match this service's CRM_AUTH_SECRET: sign it with the same "
            "secret (locally: `crm token issue` with the CRM_INFRA_STATE_DIR the platform runs on)"
        ) from None
    except jwt.PyJWTError as error:
        raise InvalidTokenError(str(error)) from None
    if float(claims["exp"]) - float(claims["iat"]) > MAX_TOKEN_TTL.total_seconds():
        raise InvalidTokenError(f"the token lives longer than {MAX_TOKEN_TTL.days} days")
    principal = Principal(subject=str(claims["sub"]), scopes=parse_scopes(claims.get("scope", "")))
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
