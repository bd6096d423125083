"""Bearer tokens with scopes per context (HS256 JWTs)."""

from __future__ import annotations

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
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["exp", "sub"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidTokenError(str(error)) from None
    return Principal(
        subject=str(claims["sub"]), scopes=frozenset(str(claims.get("scope", "")).split())
    )
