"""The projector's consumer session is a setting (CRM_CONSUMER_SESSION_TIMEOUT_MS): ops ride out
pauses without a rebalance, and the benchmark's paused platforms keep their memory warm."""

from __future__ import annotations

from typing import Any

import pytest
from crm_kernel.settings import ServiceSettings
from crm_projections import bootstrap

from tests.support import JWKS


def test_the_projector_subscribes_with_the_configured_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(bootstrap, "subscribe_batches", lambda *_, **kwargs: seen.update(kwargs))
    settings = ServiceSettings(auth_jwks=JWKS, consumer_session_timeout_ms=120_000)
    bootstrap.create_service(settings)
    assert seen["session_timeout_ms"] == 120_000
    assert ServiceSettings.model_fields["consumer_session_timeout_ms"].default == 10_000
