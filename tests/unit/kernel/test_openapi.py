"""Issue 9: every error has the platform's body, and the OpenAPI document says what each route
answers (statuses, error body, content types). The schemathesis tier checks the services."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from crm_kernel.auth import ALL_SCOPES, Principal, issue_token
from crm_kernel.http import require_scope
from crm_kernel.request_body import RequestBody
from crm_sales_contracts.events import Quantity
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from tests.support import SECRET, bare_app

Writer = Annotated[Principal, Depends(require_scope("sales:write"))]


class Body(RequestBody):
    quantity: Quantity


def app() -> FastAPI:
    service = bare_app()

    @service.put("/things/{name}")
    async def put(name: str, body: Body, _: Writer) -> dict[str, str]:
        return {"name": name}

    @service.delete("/things/{name}")
    async def delete(name: str, _: Writer) -> dict[str, str]:
        return {"name": name}

    return service


def test_every_authenticated_route_documents_401_403_503_with_the_error_body() -> None:
    document = app().openapi()
    for method in ("put", "delete"):
        responses = document["paths"]["/things/{name}"][method]["responses"]
        for status in ("401", "403", "503"):
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, status)
        assert "Retry-After" in responses["503"]["headers"]
    assert "400" in document["paths"]["/things/{name}"]["put"]["responses"]  # has a body
    assert set(document["components"]["schemas"]["ErrorBody"]["required"]) == {"detail"}


def test_metrics_are_documented_as_text_and_readiness_with_its_503() -> None:
    paths = app().openapi()["paths"]
    assert list(paths["/metrics"]["get"]["responses"]["200"]["content"]) == ["text/plain"]
    assert "503" in paths["/health/ready"]["get"]["responses"]


def test_a_body_that_is_not_utf8_json_is_a_400_with_the_error_body() -> None:
    token = issue_token(SECRET, "t", list(ALL_SCOPES), timedelta(minutes=5))
    with TestClient(app()) as client:
        response = client.put(
            "/things/a",
            content=b"\xff\xfe{",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 400
    [detail] = response.json()["detail"]
    assert detail["loc"] == ["body"] and detail["msg"]


def test_a_405_names_every_method_of_the_path() -> None:
    with TestClient(app()) as client:
        response = client.options("/things/a")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, PUT"
    assert response.json()["detail"][0]["loc"] == ["method"]


def test_a_boolean_is_not_a_quantity() -> None:
    token = issue_token(SECRET, "t", list(ALL_SCOPES), timedelta(minutes=5))
    with TestClient(app()) as client:
        response = client.put(
            "/things/a", json={"quantity": True}, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 422
