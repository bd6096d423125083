import time
from datetime import timedelta

import pytest
from crm_kernel.auth import InvalidTokenError, TokenVerifier, issue_token, verify_token

SECRET = "a-test-secret-of-at-least-32-bytes!!"
HOUR = timedelta(hours=1)


def test_a_token_carries_its_subject_and_scopes() -> None:
    token = issue_token(SECRET, "alice", ["sales:write"], timedelta(minutes=5))
    principal = verify_token(SECRET, token)
    assert principal.subject == "alice"
    assert principal.scopes == {"sales:write"}


def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = issue_token(
        "another-secret-that-is-32-bytes-long!", "alice", ["sales:write"], timedelta(minutes=5)
    )
    with pytest.raises(InvalidTokenError):
        verify_token(SECRET, token)


def test_an_expired_token_is_refused() -> None:
    token = issue_token(SECRET, "alice", ["sales:write"], timedelta(seconds=-1))
    with pytest.raises(InvalidTokenError, match="expired"):
        verify_token(SECRET, token)


def test_unknown_scopes_are_refused_at_issue() -> None:
    with pytest.raises(ValueError, match="unknown scopes"):
        issue_token(SECRET, "alice", ["sales:delete"], timedelta(minutes=5))


def test_the_verifier_remembers_a_valid_token_only_until_it_expires(monkeypatch) -> None:
    import crm_kernel.auth as auth

    verifier = TokenVerifier(SECRET)
    token = issue_token(SECRET, "alice", ["sales:write"], timedelta(seconds=30))
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
    verifier = TokenVerifier(SECRET)
    forged = issue_token("another-secret-that-is-32-bytes-long!", "eve", ["sales:write"], HOUR)
    for _ in range(2):
        with pytest.raises(InvalidTokenError):
            verifier.verify(forged)


def test_weak_secrets_are_refused_for_signing_and_serving() -> None:
    from crm_kernel.auth import check_secret

    for weak in ("a" * 32, "abcde", "ab" * 30):
        with pytest.raises(ValueError, match="openssl rand"):
            check_secret(weak)
        with pytest.raises(ValueError, match="openssl rand"):
            issue_token(weak, "t", ["contacts:read"], timedelta(hours=1))
    check_secret(SECRET)


def _signed(claims: dict) -> str:
    import jwt

    now = int(time.time())
    return jwt.encode({"aud": "crm", "sub": "t", "iat": now, "exp": now + 60, **claims}, SECRET)


def test_scopes_are_read_strictly() -> None:
    assert verify_token(SECRET, _signed({"scope": "contacts:read sales:write"})).scopes == {
        "contacts:read",
        "sales:write",
    }
    for padded in (
        " contacts:read",
        "contacts:read ",
        "contacts:read\u00a0",
        "contacts:read  sales:write",
        "contacts:*",
    ):
        with pytest.raises(InvalidTokenError, match="scope claim"):
            verify_token(SECRET, _signed({"scope": padded}))


def test_token_lifetimes_are_capped() -> None:
    with pytest.raises(ValueError, match="at most 30 days"):
        issue_token(SECRET, "t", ["contacts:read"], timedelta(days=31))
    now = int(time.time())
    forever = _signed({"scope": "contacts:read", "iat": now, "exp": now + 114 * 365 * 86400})
    with pytest.raises(InvalidTokenError, match="longer than 30 days"):
        verify_token(SECRET, forever)
