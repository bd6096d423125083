from datetime import timedelta

import pytest
from crm_kernel.auth import InvalidTokenError, issue_token, verify_token

SECRET = "a-test-secret-of-at-least-32-bytes!!"


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
