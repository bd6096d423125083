"""Issue 10, tokens, through the running platform: a calendar feed token reads its owner's
feed and nothing else; a revoked token is refused by every service within the refresh
interval; only EdDSA tokens of the platform's key set, with their key id, are accepted; and
a request without a token gets its 401 before its body is read (a 10 MB one a 413), with
the service's memory unmoved."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import psutil
from crm_kernel.adapters.mongo_revocations import MongoRevocations
from crm_kernel.auth import (
    ALL_SCOPES,
    FEED_SCOPE,
    KeySet,
    issue_token,
    verify_token,
)
from crm_kernel.contexts import CONTEXTS
from crm_kernel.domain.envelope import utcnow

from tests.processes import Running
from tests.support import JWKS, SECRET, forgeries, mongo

HOUR = timedelta(hours=1)
# A request each service refuses without a valid token and otherwise answers (a 422 for a
# write with an empty body, 200 for a search): the status says whether the token passed.
PROBES = {
    "contacts": ("POST", "/customers"),
    "sales": ("POST", "/orders"),
    "campaigns": ("POST", f"/campaigns/{uuid.uuid4()}/responses"),
    "support": ("POST", "/cases"),
    "projections": ("GET", "/customers?limit=1"),
}


def probe(platform: Running, service: str, token: str) -> int:
    method, path = PROBES[service]
    response = httpx.request(
        method,
        f"{platform.urls[service]}{path}",
        headers={"Authorization": f"Bearer {token}"},
        json={} if method == "POST" else None,
        timeout=10,
    )
    return response.status_code


def feed(
    platform: Running, owner: str, *, query: str | None = None, header: str | None = None
) -> httpx.Response:
    return httpx.get(
        f"{platform.urls['projections']}/owners/{owner}/calendar.ics",
        params={"access_token": query} if query else None,
        headers={"Authorization": f"Bearer {header}"} if header else None,
        timeout=10,
    )


def test_martas_feed_token_reads_her_feed_and_nothing_else(platform: Running) -> None:
    marta = issue_token(SECRET, "calendar", [FEED_SCOPE], timedelta(days=30), owner="marta")
    reader = issue_token(SECRET, "reader", ["projections:read"], HOUR)
    ok = feed(platform, "marta", query=marta)
    assert ok.status_code == 200, ok.text
    assert ok.headers["content-type"].startswith("text/calendar")
    assert feed(platform, "bob", query=marta).status_code == 403
    assert feed(platform, "bob", header=marta).status_code == 403
    assert probe(platform, "projections", marta) == 403  # /customers: not a feed
    for service in CONTEXTS:
        assert probe(platform, service, marta) == 403, service
    # A general reader's token is not taken from a URL; in the header it still reads feeds.
    in_url = feed(platform, "bob", query=reader)
    assert in_url.status_code == 403, in_url.text
    assert "--feed-owner" in in_url.json()["detail"][0]["msg"]
    assert feed(platform, "bob", header=reader).status_code == 200


def test_a_revoked_token_is_refused_everywhere_within_the_refresh_interval(
    platform: Running,
) -> None:
    token = issue_token(SECRET, "leaked", list(ALL_SCOPES), HOUR)
    kept = issue_token(SECRET, "kept", list(ALL_SCOPES), HOUR)
    before = {service: probe(platform, service, token) for service in PROBES}
    assert before == {
        "contacts": 422,
        "sales": 422,
        "campaigns": 422,
        "support": 422,
        "projections": 200,
    }  # accepted (and remembered by each verifier)

    async def revoke() -> None:
        client = mongo(platform)
        try:
            token_id = verify_token(KeySet.from_json(JWKS), token).token_id
            await MongoRevocations(client[platform.vault_database]).revoke(
                token_id, utcnow() + HOUR, utcnow()
            )
        finally:
            await client.close()

    asyncio.run(revoke())
    refresh_s = float(platform.env["contacts"]["CRM_AUTH_REFRESH_S"])
    deadline = time.monotonic() + refresh_s + 5  # the interval, and slack for a busy machine
    refused: set[str] = set()
    while refused != set(PROBES) and time.monotonic() < deadline:
        refused |= {s for s in PROBES if s not in refused and probe(platform, s, token) == 401}
        time.sleep(0.2)
    assert refused == set(PROBES)
    assert {service: probe(platform, service, kept) for service in PROBES} == before


def test_only_eddsa_tokens_of_the_platforms_keys_with_their_key_id_pass(
    platform: Running,
) -> None:
    forged = {what: token for what, (token, _) in forgeries(SECRET, list(ALL_SCOPES)).items()}
    genuine = issue_token(SECRET, "alice", list(ALL_SCOPES), HOUR)
    for service in PROBES:
        assert probe(platform, service, genuine) != 401, service
        for what, token in forged.items():
            assert probe(platform, service, token) == 401, (service, what)


# --- bodies without a token ----------------------------------------------------------------


def answer_to_a_part(url: str, head: bytes, part: bytes, timeout_s: float = 10) -> int:
    """Send `head` and only `part` of the body it announces, never the rest: the status the
    server answers. A server that reads (or parses) the body before answering never answers,
    and the test fails on the timeout."""
    parts = urlsplit(url)
    assert parts.hostname and parts.port
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout_s) as sock:
        sock.sendall(head + part)
        answer = b""
        try:
            while b"\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except TimeoutError:
            pass
    assert answer.startswith(b"HTTP/1.1 "), f"no answer within {timeout_s}s: {answer[:100]!r}"
    return int(answer.split(b" ")[1])


def post_head(url: str, path: str, length: int | None) -> bytes:
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    host = urlsplit(url).netloc
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"{framing}\r\n\r\n"
    ).encode()


def json_start(total: int, sent: int = 65536) -> bytes:
    """The first `sent` bytes of a JSON document of `total` bytes."""
    return (b'{"name": "' + b"x" * (total - 12) + b'"}')[:sent]


def chunk(piece: bytes) -> bytes:
    return f"{len(piece):x}\r\n".encode() + piece + b"\r\n"


def rss(platform: Running, service: str) -> int:
    pid = platform.processes[service].pid()
    assert pid is not None, f"{service} is not running"
    return int(psutil.Process(pid).memory_info().rss)


def test_a_body_without_a_token_gets_401_before_it_is_read(platform: Running) -> None:
    url = platform.urls["contacts"]
    megabyte = 1_000_000
    # A 1 MB body of which only the first 64 KB ever come: the 401 cannot wait for the rest.
    head = post_head(url, "/customers", megabyte)
    assert answer_to_a_part(url, head, json_start(megabyte)) == 401
    # The same without a length, which no size check can refuse up front.
    head = post_head(url, "/customers", None)
    assert answer_to_a_part(url, head, chunk(json_start(megabyte))) == 401
    # With a token the body is read and parsed (and refused for what it says).
    token = issue_token(SECRET, "t", ["contacts:write"], HOUR)
    answer = httpx.post(
        f"{url}/customers",
        headers={"Authorization": f"Bearer {token}"},
        json={"name": "x" * 1000, "email": "not an address"},
        timeout=10,
    )
    assert answer.status_code == 422, answer.text[:300]


def test_a_10_mb_body_gets_413_and_the_services_memory_stays_bounded(platform: Running) -> None:
    url = platform.urls["contacts"]
    ten = 10 * 1_048_576
    before = rss(platform, "contacts")
    for _ in range(10):
        head = post_head(url, "/customers", ten)
        assert answer_to_a_part(url, head, json_start(ten, 1_048_576)) == 413
        # Without a length and without a token: a 401 before a byte of it is read.
        head = post_head(url, "/customers", None)
        assert answer_to_a_part(url, head, chunk(json_start(ten, 1_048_576))) == 401
    grown = rss(platform, "contacts") - before
    assert grown < 20 * 1_048_576, f"contacts grew by {grown / 1_048_576:.0f} MB"
