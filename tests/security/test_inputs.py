"""Issue 10, hostile input through the running platform: a lone surrogate, a cursor nested
20,000 deep, control characters and bidi overrides get a 422 that names the field (not a
500), and no 422 echoes what was sent."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.e2e.test_walking_skeleton import register, token
from tests.processes import Running

SURROGATE = "\ud800"


def send(
    platform: Running, service: str, method: str, path: str, body: Any, scope: str
) -> httpx.Response:
    """`body` as JSON with every non-ASCII character escaped, so a lone surrogate goes out as
    the escape `"\\ud800"` (httpx would refuse to encode it)."""
    return httpx.request(
        method,
        f"{platform.urls[service]}{path}",
        content=json.dumps(body).encode(),
        headers={**token(scope), "Content-Type": "application/json"},
        timeout=15,
    )


def refused(response: httpx.Response, *loc: str | int) -> dict[str, Any]:
    """The 422's error at `loc`, after checking it is one."""
    assert response.status_code == 422, (response.status_code, response.text[:300])
    errors = response.json()["detail"]
    found = [e for e in errors if tuple(e["loc"]) == loc]
    assert found, [e["loc"] for e in errors]
    return dict(found[0])


def case(customer: str, **fields: Any) -> dict[str, Any]:
    return {
        "customer_id": customer,
        "kind": "question",
        "subject": "S",
        "description": "D",
        **fields,
    }


def name_and_owner_messages(platform: Running, customer: str, value: str) -> list[str]:
    """What a registration named `value` and an owner `value` of `customer` are refused with."""
    name = send(platform, "contacts", "POST", "/customers", {"name": value}, "contacts:write")
    path = f"/customers/{customer}/owner"
    owner = send(platform, "contacts", "PUT", path, {"owner": value}, "contacts:write")
    return [refused(name, "body", "name")["msg"], refused(owner, "body", "owner")["msg"]]


def test_a_lone_surrogate_in_a_name_or_owner_is_422_naming_the_field(platform: Running) -> None:
    customer = register(platform, email=None, phone=None)
    for message in name_and_owner_messages(platform, customer, f"marta{SURROGATE}"):
        assert "surrogate" in message
    meeting = {
        "customer_id": customer,
        "owner": SURROGATE,
        "kind": "meeting",
        "title": "Review",
        "starts_at": "2026-12-01T09:00:00Z",
        "ends_at": "2026-12-01T10:00:00Z",
    }
    refused(
        send(platform, "contacts", "POST", "/activities", meeting, "contacts:write"),
        "body",
        "owner",
    )


CUSTOMER = str(uuid.uuid4())
ORDER = {
    "customer_id": CUSTOMER,
    "currency": "EUR",
    "lines": [{"sku": "A", "quantity": 1, "unit_price": "1"}],
}


@pytest.mark.parametrize(
    ("service", "path", "body", "scope", "loc"),
    [
        # Free text, an e-mail address, an enum, a UUID, a list item, a date-time, a field name.
        (
            "support",
            "/cases",
            case(CUSTOMER, description=f"a{SURROGATE}b"),
            "support:write",
            ("body", "description"),
        ),
        (
            "contacts",
            "/customers",
            {"name": "Ana", "email": f"{SURROGATE}@b.es"},
            "contacts:write",
            ("body", "email"),
        ),
        (
            "contacts",
            "/customers",
            {"name": "Ana", "customer_type": SURROGATE},
            "contacts:write",
            ("body", "customer_type"),
        ),
        (
            "sales",
            "/orders",
            {**ORDER, "customer_id": SURROGATE},
            "sales:write",
            ("body", "customer_id"),
        ),
        (
            "sales",
            "/orders",
            {**ORDER, "lines": [{"sku": SURROGATE, "quantity": 1, "unit_price": "1"}]},
            "sales:write",
            ("body", "lines", 0, "sku"),
        ),
        (
            "sales",
            "/orders",
            {**ORDER, "occurred_at": SURROGATE},
            "sales:write",
            ("body", "occurred_at"),
        ),
        (
            "campaigns",
            f"/campaigns/{uuid.uuid4()}/responses",
            {"customer_id": CUSTOMER, "response": "converted", "channel": SURROGATE},
            "campaigns:write",
            ("body", "channel"),
        ),
        (
            "contacts",
            "/customers",
            {"name": "Ana", SURROGATE: 1},
            "contacts:write",
            ("body",),  # a field name is a string too
        ),
    ],
)
def test_a_lone_surrogate_anywhere_in_a_body_is_422_not_500(
    platform: Running, service: str, path: str, body: Any, scope: str, loc: tuple[str | int, ...]
) -> None:
    refused(send(platform, service, "POST", path, body, scope), *loc)


def cursor_of(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


DEEP = base64.urlsafe_b64encode(b"[" * 20_000 + b"]" * 20_000).decode()


TIMELINE = f"/customers/{uuid.uuid4()}/timeline"


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        ("/customers", DEEP),
        (TIMELINE, DEEP),
        ("/customers", cursor_of([SURROGATE])),  # a search cursor is one key
        (TIMELINE, cursor_of([SURROGATE, "x"])),  # a timeline cursor two
    ],
    ids=["deep-search", "deep-timeline", "surrogate-search", "surrogate-timeline"],
)
def test_a_cursor_nested_20000_deep_or_holding_a_surrogate_is_422(
    platform: Running, path: str, cursor: str
) -> None:
    response = httpx.get(
        f"{platform.urls['projections']}{path}",
        params={"cursor": cursor},
        headers=token("projections:read"),
        timeout=15,
    )
    refused(response, "query", "cursor")


@pytest.mark.parametrize(
    "bad",
    ["\x00", "\x07", "\x1b[31m", "\n", "\t", "\x7f", "\x85", "\u202e", "\u2066", "\u2069"],
    ids=lambda c: f"U+{ord(c[0]):04X}",
)
def test_control_characters_and_bidi_overrides_in_names_and_owners_are_refused(
    platform: Running, bad: str
) -> None:
    customer = register(platform, email=None, phone=None)
    for message in name_and_owner_messages(platform, customer, f"Ana{bad}x"):
        assert f"U+{ord(bad[0]):04X}" in message and "remove it" in message
    tag = httpx.put(
        f"{platform.urls['contacts']}/customers/{customer}/tags/{quote(f'vip{bad}x')}",
        headers=token("contacts:write"),
    )
    assert tag.status_code == 422, tag.text
    feed = httpx.get(
        f"{platform.urls['projections']}/owners/{quote(f'marta{bad}')}/calendar.ics",
        headers=token("projections:read"),
    )
    refused(feed, "path", "owner")


def test_free_text_keeps_its_line_breaks_and_tabs_but_not_other_controls(platform: Running) -> None:
    customer = register(platform, email=None, phone=None)
    written = "Line one\r\nLine two\twith a tab; \u2067\u05e9\u05dc\u05d5\u05dd\u2069"
    fine = send(
        platform, "support", "POST", "/cases", case(customer, description=written), "support:write"
    )
    assert fine.status_code == 201, fine.text
    nul = send(
        platform, "support", "POST", "/cases", case(customer, description="a\x00b"), "support:write"
    )
    assert "U+0000" in refused(nul, "body", "description")["msg"]
    # A subject is one line: no breaks there.
    subject = send(
        platform, "support", "POST", "/cases", case(customer, subject="a\nb"), "support:write"
    )
    refused(subject, "body", "subject")


def test_a_422_never_echoes_the_input(platform: Running) -> None:
    # A 100 MB input once came back whole in the 422.
    secret_name = "Ana-" + "x" * 900_000
    response = send(
        platform, "contacts", "POST", "/customers", {"name": secret_name}, "contacts:write"
    )
    error = refused(response, "body", "name")
    assert len(response.content) < 2_000 and "xxxxxxxxxx" not in response.text
    assert set(error) <= {"loc", "msg", "type", "ctx"} and error["ctx"] == {"max_length": 200}
    # An unknown field named by a long key: the key in `loc` is a short preview.
    long_key = "k" * 100_000
    unknown = send(
        platform, "contacts", "POST", "/customers", {"name": "Ana", long_key: 1}, "contacts:write"
    )
    assert unknown.status_code == 422 and len(unknown.content) < 2_000
    [extra] = unknown.json()["detail"]
    assert extra["type"] == "extra_forbidden" and extra["loc"][1].endswith("(100000 characters)")
    # Thousands of errors: twenty are shown, and a last one says how many more there are.
    many = send(
        platform,
        "contacts",
        "POST",
        "/customers",
        {"name": "Ana", **{f"f{n}": n for n in range(5_000)}},
        "contacts:write",
    )
    assert many.status_code == 422 and len(many.content) < 10_000
    detail = many.json()["detail"]
    assert len(detail) == 21 and detail[-1]["type"] == "too_many_errors"
    assert detail[-1]["msg"].startswith("4980 more errors")
