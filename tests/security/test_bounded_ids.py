"""Every numeric id a page or the API takes is bounded (issue 12, finding 9): a number too large
for the databases, or a negative one, is refused with 400, 404 or 422, never a 500.

Generated from the URLconf and the OpenAPI schema, so a new route, query parameter or form field
cannot be forgotten: every `<...>` id in a page's route, every integer field of the pages' forms
sent as a query string and as a form, every integer path and query parameter of the API, and
every integer in an API request body (declared with a maximum)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django import forms as django_forms
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from care365.accounts import forms as accounts_forms
from care365.accounts.services import api_token_create
from care365.areas import forms as areas_forms
from care365.care import forms as care_forms
from care365.carers import forms as carers_forms
from care365.core.ids import MAX_ID, IdConverter
from care365.pairing import forms as pairing_forms
from care365.protection import forms as protection_forms
from care365.registry import forms as registry_forms
from care365.web import forms as web_forms
from conftest import Personas

pytestmark = pytest.mark.django_db

TOO_LARGE = "99999999999999999999"  # beyond a signed 64-bit integer
NEGATIVE = "-1"
API = "/api/v1"
PERSONAS = ("admin", "director_a", "doctor", "volunteer")
# Values for the routes' words (`<str:...>`): one the route knows, so the view is reached.
WORDS = {"action": "acknowledge", "decision": "accept", "kind": "left_behind", "role": "father"}

# Every app's page forms.
FORM_MODULES = (
    areas_forms,
    registry_forms,
    accounts_forms,
    carers_forms,
    pairing_forms,
    care_forms,
    protection_forms,
    web_forms,
)


def _web_routes() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(name, route template, converters) of every page, from the URLconf."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                if str(p.pattern) in ("admin/", "api/v1/"):
                    # Django's admin has no children's data (finding 5); the API is checked
                    # from its schema below.
                    continue
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and p.name:
                yield p.name, prefix + str(p.pattern), dict(p.pattern.converters)

    yield from walk(get_resolver().url_patterns, "/")


def _url(route: str, ids: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        kind, name = match.group(1), match.group(2)
        if kind == "id":
            return ids.get(name, ids["*"])
        return WORDS.get(name, "x")

    return re.sub(r"<(\w+):(\w+)>", fill, route)


def _form_integer_fields() -> set[str]:
    """The names of every integer field of the pages' forms (declared on the class)."""
    names: set[str] = set()
    for module in FORM_MODULES:
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, django_forms.BaseForm):
                continue
            for field_name, field in cls.base_fields.items():
                typed = (
                    isinstance(
                        field, django_forms.TypedChoiceField | django_forms.TypedMultipleChoiceField
                    )
                    and field.coerce is int
                )
                if typed or isinstance(
                    field, django_forms.IntegerField | django_forms.ModelChoiceField
                ):
                    names.add(field_name)
    return names | {"page", "area", "child", "carer"}


def test_every_page_route_takes_ids_through_the_bounded_converter() -> None:
    routes = list(_web_routes())
    assert routes
    for name, _route, converters in routes:
        for param, converter in converters.items():
            if param.endswith("_id"):
                assert isinstance(converter, IdConverter), (name, param)


def test_page_routes_answer_404_for_ids_out_of_range(client: Client, personas: Personas) -> None:
    client.force_login(personas.admin)
    for name, route, converters in _web_routes():
        if not any(isinstance(c, IdConverter) for c in converters.values()):
            continue
        for value in (TOO_LARGE, NEGATIVE, "0", str(MAX_ID + 1)):
            url = _url(route, {"*": value})
            for method in ("get", "post"):
                status = getattr(client, method)(url).status_code
                assert status == 404, (name, method, url, status)


def test_page_query_and_form_integers_out_of_range_are_refused(
    client: Client, personas: Personas
) -> None:
    """Each persona sends every form integer, too large and negative, to every page, as a
    query string and as a posted form: whatever the page answers, it is not a 500."""
    fields = _form_integer_fields()
    assert {"child", "carer", "area", "systolic", "cost_yuan"} <= fields
    client.raise_request_exception = False
    ids = {"child_id": str(personas.child_a.pk), "*": "1"}
    routes = [
        (name, _url(route, ids))
        for name, route, _converters in _web_routes()
        if name not in ("logout", "login", "login-code", "login-enrol", "set_language")
    ]
    for who in PERSONAS:
        client.force_login(getattr(personas, who))
        for value in (TOO_LARGE, NEGATIVE):
            data = dict.fromkeys(fields, value)
            for name, url in routes:
                got = client.get(url, data).status_code
                assert got < 500, (who, name, "GET", value, got)
                posted = client.post(url, data).status_code
                assert posted < 500, (who, name, "POST", value, posted)


def test_the_access_log_page_refuses_a_child_number_too_large(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.admin)
    page = client.get("/access-log/", {"child": TOO_LARGE})
    assert page.status_code == 200
    assert "child" in page.context["form"].errors  # shown beside the field, not applied


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    """The schema as published at /api/v1/openapi.json."""
    schema: dict[str, Any] = Client().get(f"{API}/openapi.json").json()
    return schema


def _integer(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    schema = _resolve(schema, components)
    if schema.get("type") == "integer":
        return True
    return any(_integer(s, components) for s in schema.get("anyOf", []))


def _maximum(schema: dict[str, Any], components: dict[str, Any]) -> int | None:
    schema = _resolve(schema, components)
    if "maximum" in schema:
        return int(schema["maximum"])
    found = [_maximum(s, components) for s in schema.get("anyOf", [])]
    return max((m for m in found if m is not None), default=None)


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _integer_properties(
    schema: dict[str, Any], components: dict[str, Any], path: str = ""
) -> Iterator[tuple[str, dict[str, Any]]]:
    schema = _resolve(schema, components)
    for name, prop in schema.get("properties", {}).items():
        resolved = _resolve(prop, components)
        if _integer(prop, components):
            yield f"{path}{name}", prop
        elif resolved.get("type") == "array" and _integer(resolved.get("items", {}), components):
            yield f"{path}{name}[]", resolved["items"]
        for option in [resolved, *resolved.get("anyOf", [])]:
            option = _resolve(option, components)
            if option.get("properties"):
                yield from _integer_properties(option, components, f"{path}{name}.")


def test_every_integer_the_api_takes_declares_a_maximum(openapi: dict[str, Any]) -> None:
    components = openapi["components"]["schemas"]
    unbounded = []
    for path, ops in openapi["paths"].items():
        for method, op in ops.items():
            for param in op.get("parameters", []):
                if _integer(param["schema"], components):
                    top = _maximum(param["schema"], components)
                    if top is None or top > MAX_ID:
                        unbounded.append((method, path, param["name"]))
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is None:
                continue
            for name, prop in _integer_properties(body["schema"], components):
                top = _maximum(prop, components)
                if top is None or top > MAX_ID:
                    unbounded.append((method, path, name))
    assert unbounded == []


def test_api_ids_out_of_range_are_refused(
    client: Client, personas: Personas, openapi: dict[str, Any]
) -> None:
    """Every integer path and query parameter of every operation, too large and negative, as
    each persona: 400, 404 or 422, never a 500 (nor a 2xx that read past the bound)."""
    components = openapi["components"]["schemas"]
    client.raise_request_exception = False
    tokens = {who: api_token_create(user=getattr(personas, who)) for who in PERSONAS}
    checked = 0
    for path, ops in openapi["paths"].items():
        for method, op in ops.items():
            params = op.get("parameters", [])
            integers = [p for p in params if _integer(p["schema"], components)]
            for target in integers:
                for value in (TOO_LARGE, NEGATIVE):
                    url = API + path.removeprefix(API)
                    query = {}
                    for p in params:
                        given = value if p is target else None
                        if p["in"] == "path":
                            filler = "1" if _integer(p["schema"], components) else "x"
                            url = url.replace("{" + p["name"] + "}", given or filler)
                        elif given is not None:
                            query[p["name"]] = given
                        elif p.get("required"):
                            query[p["name"]] = "1"
                    for who, token in tokens.items():
                        response = client.generic(
                            method.upper(),
                            url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()))
                            if query
                            else url,
                            data=b"{}",
                            content_type="application/json",
                            headers={"Authorization": f"Bearer {token}"},
                        )
                        assert response.status_code in (400, 403, 404, 422), (
                            who,
                            method,
                            path,
                            target["name"],
                            value,
                            response.status_code,
                        )
                        checked += 1
    assert checked > 50
