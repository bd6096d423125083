"""Issue 10, low: no security headers, and a `server: uvicorn` banner. Every answer now
carries nosniff, no-store, X-Frame-Options DENY and a CSP without framing, and names no server.
(Strict scopes, token caps and refused algorithms are tests/security/test_auth.py.)"""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from tests.processes import Running
from tests.unit.kernel.test_http import app


def test_every_answer_carries_the_security_headers() -> None:
    with TestClient(app()) as client:
        for path in ("/echo", "/health/live", "/nowhere", "/metrics"):
            headers = client.get(path).headers
            assert headers["X-Content-Type-Options"] == "nosniff", path
            assert headers["Cache-Control"] == "no-store", path
            assert headers["X-Frame-Options"] == "DENY", path
            assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path


def test_every_service_answers_with_security_headers_and_no_server_banner(
    platform: Running,
) -> None:
    for url in platform.urls.values():
        headers = httpx.get(f"{url}/health/live").headers
        assert "server" not in headers, url  # uvicorn named itself
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store"
