"""Request bodies: bounded numbers, no unknown fields, ISO 8601 date-times, payment methods,
and a command's `occurred_at` on the envelope (issue 9)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import uuid4

import pytest
from crm_campaigns.entrypoints.http import router as campaigns
from crm_contacts.entrypoints.customers import router as customers
from crm_contacts.entrypoints.ingest import IngestedInteraction
from crm_contacts.entrypoints.interactions import router as interactions
from crm_contacts_contracts.events import InteractionLogged
from crm_kernel.application import CommandHandlers
from crm_kernel.auth import ALL_SCOPES, issue_token
from crm_kernel.domain.envelope import Metadata, wrap
from crm_kernel.http import create_app
from crm_kernel.relay import Relay
from crm_kernel.timeinput import IsoDateTime, OccurredAt
from crm_sales.application.order_placement import OrderPlacement
from crm_sales.domain.account import account_decider
from crm_sales.domain.order import order_decider
from crm_sales.entrypoints.http import router as sales
from crm_sales.entrypoints.leads import router as leads
from crm_support.domain.case import case_decider
from crm_support.entrypoints.http import router as support
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter, ValidationError

from tests.fakes import InMemoryEventStore, InMemoryKeyStore, InMemoryPublisher
from tests.support import SECRET, auth_for_tests
from tests.unit.support.desk import case_opening

ROUTERS = {
    "sales": sales,
    "sales leads": leads,
    "support": support,
    "campaigns": campaigns,
    "contacts customers": customers,
    "contacts interactions": interactions,
}
BODIES: list[type[BaseModel]] = sorted(
    {
        param.field_info.annotation
        for router in ROUTERS.values()
        for route in router.routes
        if isinstance(route, APIRoute)
        for param in route.dependant.body_params
    }
    | {IngestedInteraction},
    key=lambda model: model.__name__,
)


# --- every body, every field ---------------------------------------------------------------


def test_the_routes_have_bodies_to_check() -> None:
    names = {model.__name__ for model in BODIES}
    assert {"PlaceOrderRequest", "OpenCaseRequest", "ScheduleRequest", "ConsentRequest"} <= names
    assert {"CaptureLeadRequest", "DisqualifyLeadRequest", "LeadStepRequest"} <= names
    assert len(BODIES) >= 20


def _schemas(model: type[BaseModel]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every sub-schema of the model's JSON schema, with its path."""
    schema = model.model_json_schema()
    definitions = schema.get("$defs", {})

    def walk(path: str, node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        if isinstance(node, dict):
            if "$ref" in node:
                node = definitions[node["$ref"].rsplit("/", 1)[-1]]
            yield path, node
            for key, value in node.items():
                if key != "$defs":
                    yield from walk(f"{path}.{key}", value)
        elif isinstance(node, list):
            for n, value in enumerate(node):
                yield from walk(f"{path}[{n}]", value)

    yield from walk(model.__name__, schema)


# The ingest topic's senders evolve on their own: a field we do not know is ignored (and
# logged), or one new field would have every message refused.
LENIENT = {IngestedInteraction}


@pytest.mark.parametrize(
    "model", sorted(set(BODIES) - LENIENT, key=lambda m: m.__name__), ids=lambda m: m.__name__
)
def test_every_body_refuses_unknown_fields(model: type[BaseModel]) -> None:
    objects = [(path, s) for path, s in _schemas(model) if s.get("type") == "object"]
    assert objects
    assert [path for path, s in objects if s.get("additionalProperties") is not False] == []


@pytest.mark.parametrize("model", BODIES, ids=lambda m: m.__name__)
def test_every_number_in_a_body_has_a_maximum(model: type[BaseModel]) -> None:
    numbers = [(path, s) for path, s in _schemas(model) if s.get("type") in ("integer", "number")]
    assert [path for path, s in numbers if "maximum" not in s and "exclusiveMaximum" not in s] == []


@pytest.mark.parametrize("model", BODIES, ids=lambda m: m.__name__)
def test_every_date_time_in_a_body_takes_only_iso_8601_with_a_zone(model: type[BaseModel]) -> None:
    times = [
        name
        for name, field in model.model_fields.items()
        if "date-time" in str(model.model_json_schema()["properties"][name])
    ]
    for name in times:
        field = model.model_fields[name]
        annotation = (
            Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
        )
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        for wrong in ("0", '"0"', "1700000000", '"1700000000"', '"2026-03-05T14:30:00"'):
            with pytest.raises(ValidationError):
                adapter.validate_json(wrong)
        assert adapter.validate_json('"2026-03-05T14:30:00+01:00"') == datetime(
            2026, 3, 5, 13, 30, tzinfo=UTC
        )


def test_iso_date_times_refuse_numbers_and_naive_times_and_say_why() -> None:
    adapter: TypeAdapter[datetime] = TypeAdapter(IsoDateTime)
    for wrong in (0, "0", 1.5, "1700000000", "2026-03-05", "2026-03-05T14:30:00", "yesterday"):
        with pytest.raises(ValidationError, match=r"ISO 8601|timezone"):
            adapter.validate_python(wrong)
    assert adapter.validate_python("2026-03-05T14:30:00Z") == datetime(
        2026, 3, 5, 14, 30, tzinfo=UTC
    )


def test_a_fact_may_be_long_ago_but_not_beyond_the_clock_skew_ahead() -> None:
    adapter: TypeAdapter[datetime] = TypeAdapter(OccurredAt)
    assert adapter.validate_python("1999-12-31T23:00:00Z").year == 1999
    soon = datetime.now(UTC) + timedelta(seconds=200)
    assert adapter.validate_python(soon.isoformat()) == soon
    with pytest.raises(ValidationError, match="future"):
        adapter.validate_python((datetime.now(UTC) + timedelta(seconds=400)).isoformat())


# --- the envelope carries when the fact happened -------------------------------------------


def test_the_envelope_carries_the_commands_occurred_at_and_our_recorded_at() -> None:
    happened = datetime(2026, 3, 5, 15, 30, tzinfo=UTC)
    event = InteractionLogged(
        interaction_id="i1",
        customer_id="c1",
        channel="phone_call",
        direction="inbound",
        occurred_at=happened,
    )
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    [given] = wrap(
        [event],
        source="crm.contacts",
        stream_id="interaction-i1",
        expected_version=0,
        metadata=Metadata(actor="a", occurred_at=happened.astimezone(UTC)),
        now=now,
    )
    assert (given.occurred_at, given.recorded_at) == (happened, now)
    [plain] = wrap(
        [event],
        source="crm.contacts",
        stream_id="interaction-i1",
        expected_version=0,
        metadata=Metadata(actor="a"),
        now=now,
    )
    assert plain.occurred_at == plain.recorded_at == now


# --- the sales and support APIs, in process ------------------------------------------------


@asynccontextmanager
async def nothing(_: FastAPI) -> AsyncIterator[None]:
    yield


def service(
    router: APIRouter, aggregate: str, decider: Any
) -> tuple[TestClient, InMemoryEventStore]:
    store = InMemoryEventStore()
    app = create_app(title="t", auth=auth_for_tests(), lifespan=nothing, readiness=[])
    app.include_router(router)
    app.state.handlers = CommandHandlers(
        source=f"crm.{aggregate}",
        store=store,
        keys=InMemoryKeyStore(),
        relay=Relay(store, InMemoryPublisher()),
    )
    app.state.handlers.of(decider)  # the handler the router asks for
    token = issue_token(SECRET, "unit", list(ALL_SCOPES), timedelta(minutes=5))
    return TestClient(app, headers={"Authorization": f"Bearer {token}"}), store


def orders_service(*, credit_limits: bool = False) -> tuple[TestClient, InMemoryEventStore]:
    """The orders API with what placing an order needs: the order's and (with credit limits)
    the account's streams."""
    client, store = service(sales, "order", order_decider)
    handlers = client.app.state.handlers
    client.app.state.order_placement = OrderPlacement(
        handlers.of(order_decider), handlers.of(account_decider), credit_limits=credit_limits
    )
    return client, store


def order_commits(store: InMemoryEventStore) -> list[Any]:
    """The orders' commits (each order is booked on its customer's account first)."""
    return [c for c in store.commits if c.stream_id.startswith("order-")]


def order(**fields: Any) -> dict[str, Any]:
    return {
        "customer_id": str(uuid4()),
        "currency": "EUR",
        "lines": [{"sku": "LAMP-1", "quantity": 2, "unit_price": "19.95"}],
        **fields,
    }


def refused(response: Any, *loc: str | int) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert any(tuple(e["loc"][-len(loc) :]) == loc for e in errors), errors
    return errors


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"quantity": 2**63}, "quantity"),
        ({"quantity": 1_000_001}, "quantity"),
        ({"unit_price": "1000000000000.01"}, "unit_price"),
        ({"unit_price": 10**20}, "unit_price"),
        ({"unit_price": "1.001"}, "unit_price"),
        ({"unit_price": "NaN"}, "unit_price"),
    ],
)
def test_an_order_with_numbers_beyond_the_limits_is_422_not_500(
    line: dict[str, Any], field: str
) -> None:
    client, store = orders_service()
    with client:
        body = order(lines=[{"sku": "A", "quantity": 1, "unit_price": "1.00", **line}])
        refused(client.post("/orders", json=body), "lines", 0, field)
        most = {"sku": "A", "quantity": 1_000_000, "unit_price": "1000000000000.00"}
        assert client.post("/orders", json=order(lines=[most])).status_code == 201
    assert len(order_commits(store)) == 1


def test_unknown_fields_are_refused_naming_the_field() -> None:
    client, store = orders_service()
    with client:
        errors = refused(client.post("/orders", json=order(paymnt_method="card")), "paymnt_method")
        assert errors[0]["type"] == "extra_forbidden"
        line = {"sku": "A", "quantity": 1, "unit_price": "1.00", "discount": "0.50"}
        refused(client.post("/orders", json=order(lines=[line])), "lines", 0, "discount")
    assert store.commits == []


@pytest.mark.parametrize(
    ("given", "stored"), [("PayPal", "paypal"), ("CARD", "card"), ("transfer", "transfer")]
)
def test_payment_methods_match_in_any_case_and_are_stored_in_lower_case(
    given: str, stored: str
) -> None:
    client, store = orders_service()
    with client:
        assert client.post("/orders", json=order(payment_method=given)).status_code == 201
        refused(client.post("/orders", json=order(payment_method="bitcoin")), "payment_method")
    [commit] = order_commits(store)
    assert commit.events[0].data["payment_method"] == stored


def test_an_imported_order_carries_when_it_was_placed() -> None:
    client, store = orders_service()
    with client:
        placed = client.post("/orders", json=order(occurred_at="2026-01-31T18:00:00+01:00"))
        assert placed.status_code == 201, placed.text
        ahead = (datetime.now(UTC) + timedelta(seconds=400)).isoformat()
        refused(client.post("/orders", json=order(occurred_at=ahead)), "occurred_at")
        refused(client.post("/orders", json=order(occurred_at=0)), "occurred_at")
        assert client.post("/orders", json=order()).status_code == 201
    imported, live = (commit.events[0] for commit in order_commits(store))
    assert imported.occurred_at == datetime(2026, 1, 31, 17, tzinfo=UTC)
    assert imported.recorded_at > datetime.now(UTC) - timedelta(minutes=1)
    assert "occurred_at" not in imported.data  # the envelope's, not the order's own field
    assert live.occurred_at == live.recorded_at


def test_a_case_carries_when_it_was_raised() -> None:
    client, store = service(support, "case", case_decider)
    client.app.state.case_opening = case_opening(client.app.state.handlers)
    case = {"customer_id": str(uuid4()), "kind": "question", "subject": "S", "description": "D"}
    with client:
        opened = client.post("/cases", json={**case, "occurred_at": "2025-06-01T08:00:00Z"})
        assert opened.status_code == 201, opened.text
        refused(client.post("/cases", json={**case, "occurred_at": "1717228800"}), "occurred_at")
        refused(client.post("/cases", json={**case, "prio": "high"}), "prio")
    [commit] = store.commits
    raised = datetime(2025, 6, 1, 8, tzinfo=UTC)
    assert commit.events[0].occurred_at == raised
    assert commit.events[1].data["started_at"] == "2025-06-01T08:00:00Z"  # its SLA's clocks


def test_date_times_before_1900_are_refused() -> None:
    # Read models order instants as text: a three-digit year would sort out of time order.
    from crm_kernel.timeinput import IsoDateTime
    from pydantic import TypeAdapter, ValidationError

    adapter = TypeAdapter(IsoDateTime)
    assert adapter.validate_python("1900-01-01T00:00:00Z").year == 1900
    for early in ("0999-12-31T00:00:00Z", "1899-12-31T23:59:59Z"):
        with pytest.raises(ValidationError, match="from 1900 on"):
            adapter.validate_python(early)


def test_an_ingested_interaction_ignores_fields_it_does_not_know() -> None:
    message = {
        "source": "callcentre",
        "external_id": "call-1",
        "customer_id": "6f1c2f9e-4d1b-4c8a-9a57-1f7d3c2b9e10",
        "channel": "phone_call",
        "direction": "inbound",
        "agent_team": "north",  # added by the sender later
    }
    assert IngestedInteraction.model_validate(message).external_id == "call-1"
