"""The projector's consumer session is a setting (CRM_CONSUMER_SESSION_TIMEOUT_MS): ops ride out
pauses without a rebalance, and the benchmark's paused platforms keep their memory warm. So is
how long it may hold waiting records without delivering any before its watchdog restarts it
(CRM_CONSUMER_STALL_S)."""

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
    real = bootstrap.subscribe_batches

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(bootstrap, "subscribe_batches", spy)
    settings = ServiceSettings(
        auth_jwks=JWKS, consumer_session_timeout_ms=120_000, consumer_stall_s=45
    )
    bootstrap.create_service(settings)
    assert seen["session_timeout_ms"] == 120_000
    assert seen["stall_after_s"] == 45
    assert ServiceSettings.model_fields["consumer_session_timeout_ms"].default == 10_000
