"""The published contract: errors declared everywhere, docs served without a CDN, and inputs
that must be refused with 4xx rather than reach the database."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from care365.accounts.tests.api_client import Api, operations
from conftest import Personas

pytestmark = pytest.mark.django_db

ERROR = "#/components/schemas/ErrorOut"


def test_every_operation_declares_every_error_with_one_schema(openapi: dict[str, Any]) -> None:
    for op, (method, path) in operations(openapi).items():
        responses = openapi["paths"][path][method.lower()]["responses"]
        for code in ("400", "401", "403", "404", "422"):
            schema = responses[code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": ERROR}, (op, code)
    error = openapi["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["detail"]
    assert set(error["properties"]) == {"detail", "errors"}


def test_operation_ids_read_like_the_services(openapi: dict[str, Any]) -> None:
    for op in operations(openapi):
        assert re.fullmatch(r"[a-z]+(_[a-z]+)+", op), op


def test_schema_is_served_without_a_token(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Care365 API"


def test_docs_are_served_from_the_app_not_a_cdn(client: Client) -> None:
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    assert all(s.startswith("/static/") for s in sources), sources
    # The page's CSRF token is random text that can spell "cdn" by chance: look past it.
    assert "cdn" not in re.sub(r'data-csrf-token="[^"]*"', "", html).lower()
    for source in sources:
        assert finders.find(source.removeprefix("/static/")), source


def test_a_body_that_is_not_json_is_a_400(api: Api, personas: Personas) -> None:
    response = api.client.post(
        "/api/v1/children",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token(personas.admin)}", "Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is not valid JSON.", "errors": {}}


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/children/0", None, "child_id"),
        (f"/children/{2**63}", None, "child_id"),
        ("/children/abc", None, "child_id"),
        ("/children", {"offset": 10**12}, "offset"),
        ("/children", {"area": 2**64}, "area"),
        ("/children", {"age_min": -1}, "age_min"),
        ("/children", {"status": "lonely"}, "status"),
        ("/carers", {"role": "judge"}, "role"),
        ("/access-log", None, "child"),
    ],
)
def test_bad_parameters_are_a_422_naming_the_parameter(
    api: Api,
    personas: Personas,
    path: str,
    query: dict[str, Any] | None,
    field: str,
) -> None:
    response = api.get(path, user=personas.admin, query=query)
    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == [field]


def test_search_text_with_a_nul_is_refused(api: Api, personas: Personas) -> None:
    response = api.post("/children/search", user=personas.admin, body={"q": "张\x00"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["q"]


@pytest.mark.parametrize("text", ["张\x00三", "\ud800"])
def test_text_no_database_can_store_is_refused(api: Api, personas: Personas, text: str) -> None:
    response = api.patch(
        f"/children/{personas.child_a.pk}", user=personas.admin, body={"school": text}
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["school"]


@pytest.mark.parametrize("body", [[None, None], "text", 5, None])
def test_a_body_that_is_not_an_object_is_refused(
    api: Api, personas: Personas, body: object
) -> None:
    response = api.client.patch(
        f"/api/v1/children/{personas.child_a.pk}",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token(personas.admin)}", "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["__all__"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"q": "张", "include_exited": 0}, "include_exited"),
        ({"q": "张", "limit": "5"}, "limit"),
        ({"q": 5}, "q"),
        ({"q": "张", "sex": "X"}, "sex"),
    ],
)
def test_bodies_are_read_as_json_schema_reads_them(
    api: Api, personas: Personas, body: dict[str, Any], field: str
) -> None:
    response = api.post("/children/search", user=personas.admin, body=body)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize("day", [0, "20150314", "2015-03-14T00:00:00", "2015-02-30"])
def test_days_are_given_as_yyyy_mm_dd(api: Api, personas: Personas, day: object) -> None:
    response = api.patch(
        f"/children/{personas.child_a.pk}", user=personas.admin, body={"birth_date": day}
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["birth_date"]
