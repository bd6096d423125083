"""Bearer tokens (issue 10): EdDSA with a key id, verified by public keys only; a token id a
revocation list can name; capped lifetimes; feed tokens bound to an owner; and a 401 before
the body of a request is read."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import jwt
import pytest
from crm_kernel import tokens as tokens_module
from crm_kernel.auth import (
    ALL_SCOPES,
    FEED_SCOPE,
    InvalidTokenError,
    KeySet,
    Principal,
    SigningKey,
    TokenCaps,
    TokenVerifier,
    issue_token,
    public_key_set,
    token_identity,
    verify_token,
)
from crm_kernel.http import require_feed, require_scope
from crm_kernel.settings import ServiceSettings
from crm_kernel.tokens import TokenAuth
from fastapi import APIRouter, Depends, Request
from fastapi.testclient import TestClient

from tests.support import SECRET, bare_app, forgeries  # SECRET: the key test apps trust

KEY = SigningKey.generate()
KEYS = KeySet.from_json(public_key_set([KEY]))
HOUR = timedelta(hours=1)


def _signed(claims: dict[str, Any], key: SigningKey = KEY, **headers: Any) -> str:
    """A token with these claims over sound defaults, signed by `key` (EdDSA, its kid)."""
    now = int(time.time())
    defaults = {"aud": "crm", "sub": "t", "iat": now, "exp": now + 60, "jti": "j1"}
    payload = {k: v for k, v in {**defaults, **claims}.items() if v is not None}
    return jwt.encode(payload, key.key, algorithm="EdDSA", headers={"kid": key.kid, **headers})


def test_a_token_carries_its_subject_scopes_id_and_key_id() -> None:
    token = issue_token(KEY, "alice", ["sales:write"], timedelta(minutes=5))
    principal = verify_token(KEYS, token)
    assert principal.subject == "alice"
    assert principal.scopes == {"sales:write"}
    assert principal.token_id and principal.owner is None
    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "kid": KEY.kid, "typ": "JWT"}
    assert token_identity(KEYS, token) == (
        principal.token_id,
        jwt.decode(token, options={"verify_signature": False})["exp"],
    )


def test_tokens_of_other_keys_algorithms_or_without_a_key_id_are_refused() -> None:
    for token, reason in forgeries(KEY, ["sales:write"]).values():
        with pytest.raises(InvalidTokenError, match=reason):
            verify_token(KEYS, token)


def test_a_signature_does_not_carry_over_to_another_body() -> None:
    claims = {"aud": "crm", "sub": "root", "iat": int(time.time()), "jti": "j", "scope": ""}
    claims["exp"] = claims["iat"] + 60
    header, _, signature = _signed({"sub": "alice"}).split(".")
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    with pytest.raises(InvalidTokenError, match="does not match"):
        verify_token(KEYS, f"{header}.{body.decode()}.{signature}")


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": int(time.time()) - 10}, "expired"),
        ({"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200}, "not yet valid"),
        ({"exp": None}, '"exp"'),
        ({"iat": None}, '"iat"'),
        ({"jti": None}, '"jti"'),
        ({"jti": "x" * 65}, "jti"),
        ({"aud": "another"}, "Audience"),
        ({"aud": None}, "aud"),
    ],
)
def test_unsound_claims_are_refused(claims: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidTokenError, match=reason):
        verify_token(KEYS, _signed({"scope": "contacts:read", **claims}))


def test_unknown_scopes_are_refused_at_issue() -> None:
    with pytest.raises(ValueError, match="unknown scopes"):
        issue_token(KEY, "alice", ["sales:delete"], timedelta(minutes=5))


def test_scopes_are_read_strictly() -> None:
    assert verify_token(KEYS, _signed({"scope": "contacts:read sales:write"})).scopes == {
        "contacts:read",
        "sales:write",
    }
    for padded in (
        " contacts:read",
        "contacts:read ",
        "contacts:read\u00a0",
        "contacts:read  sales:write",
        "contacts:*",
        "contacts:read\n",  # `$` matched before a final newline
    ):
        with pytest.raises(InvalidTokenError, match="scope claim"):
            verify_token(KEYS, _signed({"scope": padded}))


def test_token_lifetimes_are_capped_when_issued_and_when_verified() -> None:
    with pytest.raises(ValueError, match="at most 30 days"):
        issue_token(KEY, "t", ["contacts:read"], timedelta(days=31))
    now = int(time.time())
    forever = _signed({"scope": "contacts:read", "iat": now, "exp": now + 114 * 365 * 86400})
    with pytest.raises(InvalidTokenError, match="longer than 30 days"):
        verify_token(KEYS, forever)
    short = TokenCaps(max_ttl=timedelta(hours=2), max_feed_ttl=timedelta(days=1))
    with pytest.raises(ValueError, match="CRM_AUTH_MAX_TOKEN_DAYS"):
        issue_token(KEY, "t", ["contacts:read"], timedelta(hours=3), caps=short)
    three_hours = _signed({"scope": "contacts:read", "iat": now, "exp": now + 3 * 3600})
    with pytest.raises(InvalidTokenError, match="longer than"):
        verify_token(KEYS, three_hours, short)
    assert verify_token(KEYS, three_hours).scopes == {"contacts:read"}


def test_feed_tokens_are_bound_to_an_owner_with_a_cap_of_their_own() -> None:
    token = issue_token(KEY, "cal", [FEED_SCOPE], timedelta(days=60), owner="marta")
    principal = verify_token(KEYS, token)
    assert principal.owner == "marta" and principal.scopes == {FEED_SCOPE}
    with pytest.raises(ValueError, match="no other"):
        issue_token(KEY, "cal", [FEED_SCOPE, "projections:read"], HOUR, owner="marta")
    with pytest.raises(ValueError, match="unknown scopes"):
        issue_token(KEY, "cal", [FEED_SCOPE], HOUR)  # a feed scope needs its owner
    with pytest.raises(ValueError, match="CRM_AUTH_MAX_FEED_TOKEN_DAYS"):
        issue_token(KEY, "cal", [FEED_SCOPE], timedelta(days=91), owner="marta")
    with pytest.raises(ValueError, match="owner"):
        issue_token(KEY, "cal", [FEED_SCOPE], HOUR, owner="")
    for claims in (
        {"scope": f"{FEED_SCOPE} projections:read", "owner": "marta"},  # a feed token reads more
        {"scope": FEED_SCOPE},  # no owner
        {"scope": "projections:read", "owner": "marta"},
        {"scope": FEED_SCOPE, "owner": ["marta", "bob"]},
    ):
        with pytest.raises(InvalidTokenError, match=r"feed token|owner"):
            verify_token(KEYS, _signed(claims))


def test_a_key_set_holds_public_ed25519_keys_with_ids_only() -> None:
    public = KEY.public_jwk()
    for jwks, reason in (
        ({"keys": [KEY.private_jwk()]}, "private key"),
        ({"keys": [{**public, "kid": None}]}, "key id"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "h"}]}, "not an Ed25519"),
        ({"keys": [{**public, "alg": "HS256"}]}, "not EdDSA"),
        ({"keys": [public, public]}, "twice"),
        ({"keys": []}, "at least one key"),
        ([public], "JWKS"),
    ):
        with pytest.raises(ValueError, match=reason):
            KeySet(jwks)
    with pytest.raises(ValueError, match="not JSON"):
        KeySet.from_json("{nope")


def test_after_a_rotation_both_keys_verify_and_the_new_one_signs() -> None:
    new = SigningKey.generate()
    both = KeySet.from_json(public_key_set([new, KEY]))
    assert both.kids == {new.kid, KEY.kid}
    for key in (new, KEY):
        assert verify_token(both, issue_token(key, "t", ["sales:read"], HOUR)).subject == "t"
    roundtrip = SigningKey.from_private_jwk(json.loads(json.dumps(new.private_jwk())))
    assert roundtrip.kid == new.kid and roundtrip.created_at == new.created_at
    assert verify_token(both, issue_token(roundtrip, "t", ["sales:read"], HOUR)).subject == "t"


def test_the_verifier_remembers_a_valid_token_only_until_it_expires(monkeypatch) -> None:
    import crm_kernel.auth as auth

    verifier = TokenVerifier(KEYS)
    token = issue_token(KEY, "alice", ["sales:write"], timedelta(seconds=30))
    decoded = []
    real = auth.jwt.decode
    monkeypatch.setattr(auth.jwt, "decode", lambda *a, **k: decoded.append(1) or real(*a, **k))
    assert verifier.verify(token).subject == "alice"
    assert verifier.verify(token).scopes == {"sales:write"}
    assert len(decoded) == 1  # the second time it was remembered
    later = auth.time.time() + 31
    monkeypatch.setattr(auth.time, "time", lambda: later)
    verifier.verify(token)  # past its expiry: checked afresh (here PyJWT's clock still agrees)
    assert len(decoded) == 2


def test_the_verifier_refuses_what_verify_token_refuses() -> None:
    verifier = TokenVerifier(KEYS)
    forged = issue_token(SigningKey.generate(), "eve", ["sales:write"], HOUR)
    for _ in range(2):
        with pytest.raises(InvalidTokenError):
            verifier.verify(forged)


def test_a_revoked_token_is_refused_even_when_remembered() -> None:
    verifier = TokenVerifier(KEYS)
    token = issue_token(KEY, "alice", ["sales:write"], HOUR)
    kept = issue_token(KEY, "bob", ["sales:write"], HOUR)
    principal = verifier.verify(token)  # now remembered
    verifier.verify(kept)
    verifier.revoked([principal.token_id])
    with pytest.raises(InvalidTokenError, match="revoked"):
        verifier.verify(token)
    assert verifier.verify(kept).subject == "bob"
    verifier.revoked([])
    assert verifier.verify(token).subject == "alice"


def test_a_key_taken_out_of_the_set_takes_its_remembered_tokens_with_it() -> None:
    new = SigningKey.generate()
    verifier = TokenVerifier(KeySet.from_json(public_key_set([new, KEY])))
    old_token = issue_token(KEY, "alice", ["sales:write"], HOUR)
    verifier.verify(old_token)
    verifier.use_keys(KeySet.from_json(public_key_set([new])))
    with pytest.raises(InvalidTokenError, match="not in this service's key set"):
        verifier.verify(old_token)


class Revoked:
    def __init__(self) -> None:
        self.ids: frozenset[str] = frozenset()

    async def active(self, now: datetime) -> frozenset[str]:
        assert now.tzinfo is UTC
        return self.ids


def test_token_auth_rereads_a_key_set_file_and_the_revocation_list(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(public_key_set([KEY]))
    revoked = Revoked()
    auth = TokenAuth.of(ServiceSettings(auth_jwks=str(jwks)), revoked)
    token = issue_token(KEY, "alice", ["sales:write"], HOUR)
    assert auth.verifier.verify(token).subject == "alice"
    new = SigningKey.generate()
    jwks.write_text(public_key_set([new]))  # rotated, and the old key retired
    revoked.ids = frozenset({verify_token(KEYS, token).token_id})
    asyncio.run(auth.refresh())
    assert auth.verifier.keys.kids == {new.kid}
    with pytest.raises(InvalidTokenError):
        auth.verifier.verify(token)


class Unreadable:
    async def active(self, now: datetime) -> frozenset[str]:
        raise ConnectionError("the vault does not answer")


def test_a_half_written_key_file_does_not_hold_back_a_revocation(tmp_path: Path) -> None:
    # The key set was read first, and its error skipped the revocation list.
    jwks = tmp_path / "jwks.json"
    jwks.write_text(public_key_set([KEY]))
    revoked = Revoked()
    auth = TokenAuth.of(ServiceSettings(auth_jwks=str(jwks)), revoked)
    token = issue_token(KEY, "alice", ["sales:write"], HOUR)
    jwks.write_text('{"keys": [')  # a rotation being written
    revoked.ids = frozenset({verify_token(KEYS, token).token_id})
    with pytest.raises(ValueError):
        asyncio.run(auth.refresh())
    with pytest.raises(InvalidTokenError):
        auth.verifier.verify(token)


def test_readiness_fails_until_the_revocation_list_is_read_and_when_it_goes_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A service that never managed to read the list accepted revoked tokens and said ready.
    settings = ServiceSettings(auth_jwks=public_key_set([KEY]), auth_refresh_s=1)
    failing = TokenAuth.of(settings, Unreadable())
    with pytest.raises(ConnectionError):
        asyncio.run(failing.refresh())
    with pytest.raises(RuntimeError, match="not been read yet"):
        asyncio.run(failing.revocation_list())
    working = TokenAuth.of(settings, Revoked())
    asyncio.run(working.refresh())
    asyncio.run(working.revocation_list())
    later = time.monotonic() + 3 * settings.auth_refresh_s + 1
    monkeypatch.setattr(tokens_module.time, "monotonic", lambda: later)
    with pytest.raises(RuntimeError, match="last read"):
        asyncio.run(working.revocation_list())


def test_a_service_refuses_to_start_without_a_public_key_set(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="CRM_AUTH_JWKS is empty"):
        TokenAuth.of(ServiceSettings(auth_jwks=""))
    with pytest.raises(ValueError, match="cannot be read"):
        TokenAuth.of(ServiceSettings(auth_jwks=str(tmp_path / "missing.json")))
    with pytest.raises(ValueError, match="private key"):
        TokenAuth.of(ServiceSettings(auth_jwks=json.dumps({"keys": [KEY.private_jwk()]})))


# --- the HTTP shell: a 401 before the body is read; feeds --------------------------------

Writer = Annotated[Principal, Depends(require_scope("sales:write"))]
Reader = Annotated[Principal, Depends(require_scope("projections:read"))]
Feed = Annotated[Principal, Depends(require_feed("projections:read"))]


def app() -> Any:
    service = bare_app()

    @service.post("/things")
    async def post(request: Request, _: Writer) -> dict[str, int]:
        return {"n": len(await request.body())}

    @service.post("/open")  # no token needed: the guard must let its body through
    async def open_(request: Request) -> dict[str, int]:
        return {"n": len(await request.body())}

    @service.get("/customers")
    async def customers(_: Reader) -> dict[str, str]:
        return {"ok": "yes"}

    @service.get("/owners/{owner}/calendar.ics")
    async def feed(owner: str, principal: Feed) -> dict[str, str]:
        return {"owner": owner, "sub": principal.subject}

    # as the services' routes come: through an included router (FastAPI routes those lazily)
    included = APIRouter()

    @included.post("/included")
    async def post_included(request: Request, _: Writer) -> dict[str, int]:
        return {"n": len(await request.body())}

    service.include_router(included)
    return service


async def _call(service: Any, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, bool]:
    """POST `path` with a 1 MB body announced but never sent: the status, and whether the app
    asked for the body."""
    asked = False
    answered: list[int] = []

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked = True
        await asyncio.sleep(3600)  # the body never comes
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answered.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "server": ("t", 80),
        "client": ("c", 1),
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", b"1000000"),
            *headers,
        ],
    }
    await asyncio.wait_for(service(scope, receive, send), timeout=2)
    return answered[0], asked


def test_a_route_that_needs_a_token_answers_401_before_reading_the_body() -> None:
    service = app()
    forged = issue_token(SigningKey.generate(), "eve", ["sales:write"], HOUR)
    for headers in (
        [],
        [(b"authorization", f"Bearer {forged}".encode())],
        [(b"authorization", b"Basic dTpw")],
    ):
        for path in ("/things", "/included"):
            status, asked = asyncio.run(_call(service, path, headers))
            assert (status, asked) == (401, False), (path, headers)


def test_routes_without_a_token_check_and_valid_tokens_get_their_bodies() -> None:
    token = issue_token(SECRET, "t", ["sales:write"], HOUR)
    with TestClient(app()) as client:
        assert client.post("/open", content=b"x" * 1000).json() == {"n": 1000}
        sent = client.post(
            "/things", content=b"x" * 10, headers={"Authorization": f"Bearer {token}"}
        )
        assert sent.json() == {"n": 10}
        included = client.post(
            "/included", content=b"x" * 10, headers={"Authorization": f"Bearer {token}"}
        )
        assert included.json() == {"n": 10}
        refused = client.post("/things", content=b"x" * 10)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert refused.json()["detail"][0]["loc"] == ["header", "authorization"]
        wrong_scope = issue_token(SECRET, "t", ["sales:read"], HOUR)
        denied = client.post(
            "/things", content=b"{}", headers={"Authorization": f"Bearer {wrong_scope}"}
        )
        assert denied.status_code == 403  # scopes are the dependency's


def test_a_feed_token_reads_its_owners_feed_only() -> None:
    marta = issue_token(SECRET, "cal", [FEED_SCOPE], timedelta(days=30), owner="marta")
    reader = issue_token(SECRET, "t", list(ALL_SCOPES), HOUR)
    with TestClient(app()) as client:

        def get(path: str, token: str | None = None, header: str | None = None) -> Any:
            params = {"access_token": token} if token else {}
            headers = {"Authorization": f"Bearer {header}"} if header else {}
            return client.get(path, params=params, headers=headers)

        assert get("/owners/marta/calendar.ics", marta).json()["owner"] == "marta"
        assert get("/owners/marta/calendar.ics", header=marta).status_code == 200
        assert get("/owners/bob/calendar.ics", marta).status_code == 403
        assert get("/owners/bob/calendar.ics", header=marta).status_code == 403
        assert get("/customers", header=marta).status_code == 403
        assert get("/customers", marta).status_code == 401  # a URL token is no header
        in_url = get("/owners/marta/calendar.ics", reader)
        assert in_url.status_code == 403 and "feed token" in in_url.json()["detail"][0]["msg"]
        assert get("/owners/bob/calendar.ics", header=reader).status_code == 200
        assert get("/owners/marta/calendar.ics").status_code == 401
        forged = issue_token(SigningKey.generate(), "cal", [FEED_SCOPE], HOUR, owner="marta")
        assert get("/owners/marta/calendar.ics", forged).status_code == 401


def test_the_launcher_keeps_retired_keys_only_while_their_tokens_can_live() -> None:
    from crm_local.keys import retained

    day = 86400
    keys = [
        SigningKey(f"k{n}", KEY.key, created)
        for n, created in enumerate((100 * day, 60 * day, 10 * day))
    ]
    kept = retained(keys, timedelta(days=30), now=100 * day + 1)
    assert [key.kid for key in kept] == ["k0", "k1"]  # k2 was replaced 40 days ago
    assert [key.kid for key in retained(keys, timedelta(days=30), 200 * day)] == ["k0"]
