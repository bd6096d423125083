"""Bearer tokens: EdDSA (Ed25519) JWTs with scopes per context, a key id and a token id.

Only the issuer (`crm token issue`, or a production identity provider) holds a private key;
services verify with a public key set in JWKS form, choosing the key by the token's `kid`, so
a compromised service cannot mint tokens. Every token has a `jti` that a revocation list can
name, and a lifetime (`exp` - `iat`) below a cap. A feed token (`feeds:read` and an `owner`)
reads that owner's calendar feed and nothing else.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from crm_kernel.contexts import SERVICES
from crm_kernel.domain.envelope import utcnow

ALGORITHM = "EdDSA"
AUDIENCE = "crm"

# <context>:<write|read>, e.g. contacts:write, projections:read
ALL_SCOPES = tuple(f"{context}:{mode}" for context in SERVICES for mode in ("read", "write"))
# A calendar feed's token: with an `owner` claim, alone, and for that owner's feed only.
FEED_SCOPE = "feeds:read"

SCOPE = re.compile(r"^[a-z]+:(read|write)$")
TOKEN_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
MAX_OWNER_LENGTH = 100  # as the projections API's owner


@dataclass(frozen=True)
class TokenCaps:
    """The longest lifetimes (`exp` - `iat`) issued and accepted. Feed tokens sit in calendar
    apps that cannot renew them, so they may live longer: they read one owner's calendar and
    nothing else, and are revocable."""

    max_ttl: timedelta = timedelta(days=30)
    max_feed_ttl: timedelta = timedelta(days=90)

    def of(self, feed: bool) -> timedelta:
        return self.max_feed_ttl if feed else self.max_ttl


DEFAULT_CAPS = TokenCaps()


@dataclass(frozen=True)
class Principal:
    subject: str
    scopes: frozenset[str]
    token_id: str = ""
    owner: str | None = None  # a feed token's owner


class InvalidTokenError(Exception):
    pass


# --- the issuer's side: private keys -------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key with its key id (`kid`) and creation time (seconds)."""

    kid: str
    key: Ed25519PrivateKey
    created_at: int

    @classmethod
    def generate(cls) -> SigningKey:
        now = int(time.time())
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        return cls(f"{stamp}-{uuid.uuid4().hex[:8]}", Ed25519PrivateKey.generate(), now)

    def public_jwk(self) -> dict[str, Any]:
        jwk = OKPAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}

    def private_jwk(self) -> dict[str, Any]:
        jwk = OKPAlgorithm.to_jwk(self.key, as_dict=True)
        return {
            **jwk,
            "kid": self.kid,
            "alg": ALGORITHM,
            "use": "sig",
            "created_at": self.created_at,
        }

    @classmethod
    def from_private_jwk(cls, jwk: dict[str, Any]) -> SigningKey:
        key = jwt.PyJWK(jwk).key
        if not isinstance(key, Ed25519PrivateKey) or not isinstance(jwk.get("kid"), str):
            raise ValueError("a signing key must be an Ed25519 private JWK with a kid")
        return cls(jwk["kid"], key, int(jwk.get("created_at", 0)))


def public_key_set(keys: Iterable[SigningKey]) -> str:
    """The JWKS (JSON) that services verify these keys' tokens with: public members only."""
    return json.dumps({"keys": [key.public_jwk() for key in keys]})


def issue_token(
    key: SigningKey,
    subject: str,
    scopes: Sequence[str],
    ttl: timedelta,
    *,
    owner: str | None = None,
    caps: TokenCaps = DEFAULT_CAPS,
) -> str:
    """A token for `scopes`, or with `owner`, a feed token for that owner's feed alone."""
    if owner is not None:
        check_owner(owner)
        if set(scopes) != {FEED_SCOPE}:
            raise ValueError(f"a feed token has the scope {FEED_SCOPE} and no other")
    else:
        unknown = sorted(set(scopes) - set(ALL_SCOPES))
        if unknown:
            raise ValueError(f"unknown scopes {unknown}; known: {', '.join(ALL_SCOPES)}")
    cap = caps.of(feed=owner is not None)
    if ttl > cap:
        raise ValueError(
            f"a {'feed ' if owner else ''}token lives at most {_days(cap)}: ask for less "
            f"(the cap is CRM_AUTH_MAX_{'FEED_' if owner else ''}TOKEN_DAYS)"
        )
    now = utcnow()
    claims: dict[str, Any] = {
        "sub": subject,
        "scope": " ".join(sorted(set(scopes))),
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
    }
    if owner is not None:
        claims["owner"] = owner
    return jwt.encode(claims, key.key, algorithm=ALGORITHM, headers={"kid": key.kid})


def check_owner(owner: object) -> str:
    if not isinstance(owner, str) or not 0 < len(owner) <= MAX_OWNER_LENGTH:
        raise ValueError(f"a feed token's owner is a name of 1 to {MAX_OWNER_LENGTH} characters")
    return owner


def _days(ttl: timedelta) -> str:
    return f"{ttl.total_seconds() / 86400:g} days"


# --- the services' side: public keys -------------------------------------------------------


class KeySet:
    """The public keys a service trusts, by key id. Refused: a private key (a service must not
    be able to sign), a key of another type than Ed25519, keys without or with repeated ids."""

    def __init__(self, jwks: object) -> None:
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(keys, list) or not keys:
            raise ValueError('a key set is a JWKS: {"keys": [...]} with at least one key')
        for jwk in keys:
            if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
                raise ValueError("every key of the key set needs a key id (kid)")
            if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
                raise ValueError(f"key {jwk['kid']!r} is not an Ed25519 (OKP) key")
            if jwk.get("alg", ALGORITHM) != ALGORITHM:
                raise ValueError(f"key {jwk['kid']!r} is for {jwk['alg']}, not {ALGORITHM}")
            if "d" in jwk:
                raise ValueError(
                    f"key {jwk['kid']!r} is a private key: give services the public key set "
                    "only (`crm token jwks`), never the issuer's private keys"
                )
        self._keys = {key.key_id: key for key in jwt.PyJWKSet(keys).keys}
        if len(self._keys) != len(keys):
            raise ValueError("the key set holds a key id twice, or a key that does not parse")

    @classmethod
    def from_json(cls, text: str) -> KeySet:
        try:
            return cls(json.loads(text))
        except json.JSONDecodeError as error:
            raise ValueError(f"the key set is not JSON: {error}") from None

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(kid for kid in self._keys if kid is not None)

    def get(self, kid: str) -> jwt.PyJWK | None:
        return self._keys.get(kid)


def verify_token(keys: KeySet, token: str, caps: TokenCaps = DEFAULT_CAPS) -> Principal:
    return _verified(keys, token, caps)[0]


def token_identity(keys: KeySet, token: str) -> tuple[str, float]:
    """The token id and expiry of a token signed by one of `keys`, expired or not (to revoke
    it); InvalidTokenError otherwise."""
    claims = _claims(keys, token, verify_exp=False)
    return str(claims["jti"]), float(claims["exp"])


def _claims(keys: KeySet, token: str, verify_exp: bool = True) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise InvalidTokenError(str(error)) from None
    kid, algorithm = header.get("kid"), header.get("alg")
    if algorithm != ALGORITHM:
        raise InvalidTokenError(f"tokens are signed with {ALGORITHM}, this one with {algorithm}")
    if not isinstance(kid, str):
        raise InvalidTokenError("the token names no key (kid): issue it with `crm token issue`")
    key = keys.get(kid)
    if key is None:
        raise InvalidTokenError(
            f"the token's key {kid[:64]!r} is not in this service's key set (CRM_AUTH_JWKS): "
            "issue it with the platform's current key (locally: `crm token issue` on the "
            "CRM_INFRA_STATE_DIR the platform runs on)"
        )
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["exp", "iat", "sub", "jti"], "verify_exp": verify_exp},
        )
    except jwt.InvalidSignatureError:
        raise InvalidTokenError(
            f"the signature does not match the key {kid[:64]!r}: the token was altered or "
            "signed by another key under its id"
        ) from None
    except jwt.PyJWTError as error:
        raise InvalidTokenError(str(error)) from None
    if not isinstance(claims["jti"], str) or not TOKEN_ID.fullmatch(claims["jti"]):
        raise InvalidTokenError("the token id (jti) is not a short token")
    return claims


def _verified(keys: KeySet, token: str, caps: TokenCaps) -> tuple[Principal, float]:
    """The token's principal and expiry (seconds since the epoch), or InvalidTokenError."""
    claims = _claims(keys, token)
    scopes = parse_scopes(claims.get("scope", ""))
    owner = claims.get("owner")
    feed = FEED_SCOPE in scopes or owner is not None
    if feed:
        if scopes != {FEED_SCOPE}:
            raise InvalidTokenError(f"a feed token has the scope {FEED_SCOPE} and no other")
        try:
            check_owner(owner)
        except ValueError as error:
            raise InvalidTokenError(str(error)) from None
    cap = caps.of(feed)
    if float(claims["exp"]) - float(claims["iat"]) > cap.total_seconds():
        raise InvalidTokenError(f"the token lives longer than {_days(cap)}")
    principal = Principal(
        subject=str(claims["sub"]),
        scopes=scopes,
        token_id=claims["jti"],
        owner=owner if feed else None,
    )
    return principal, float(claims["exp"])


def parse_scopes(claim: object) -> frozenset[str]:
    """The scopes of a token's `scope` claim, read strictly: single spaces between
    `<context>:<read|write>` and nothing else (no padding, no other white space)."""
    if not isinstance(claim, str):
        raise InvalidTokenError("the scope claim is not a string")
    if claim == "":
        return frozenset()
    scopes = claim.split(" ")
    if not all(SCOPE.fullmatch(scope) for scope in scopes):
        raise InvalidTokenError(f"the scope claim is malformed: {claim[:100]!r}")
    return frozenset(scopes)


class TokenVerifier:
    """verify_token, remembering the tokens it verified until they expire (a bounded LRU): a
    caller sends the same token with request after request, and checking its signature and
    claims each time showed in the services' profiles. The cache is keyed by the whole token,
    signature included, and forgotten when the key set changes; the revocation list is
    checked on every call, remembered or not, so a revoked token is refused at once."""

    def __init__(
        self, keys: KeySet, caps: TokenCaps = DEFAULT_CAPS, remembered: int = 1024
    ) -> None:
        self._keys = keys
        self._caps = caps
        self._known: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._remembered = remembered
        self._revoked: frozenset[str] = frozenset()

    @property
    def keys(self) -> KeySet:
        return self._keys

    def use_keys(self, keys: KeySet) -> None:
        self._keys = keys
        self._known.clear()  # a key taken out of the set takes its tokens with it

    def revoked(self, token_ids: Iterable[str]) -> None:
        """Replace the revocation list (token ids refused whatever their signature says)."""
        self._revoked = frozenset(token_ids)

    def verify(self, token: str) -> Principal:
        known = self._known.get(token)
        if known is not None and known[1] > time.time():
            self._known.move_to_end(token)
            principal = known[0]
        else:
            self._known.pop(token, None)
            principal, expires = _verified(self._keys, token, self._caps)
            self._known[token] = (principal, expires)
            while len(self._known) > self._remembered:
                self._known.popitem(last=False)
        if principal.token_id in self._revoked:
            raise InvalidTokenError(
                f"the token {principal.token_id} was revoked: ask for a new one"
            )
        return principal
