"""Inference attacks: what a user could learn through a filter, a search or a sort on a field their
role does not see (DESIGN.md, "No oracles").

Generated like the access matrices: the parameters come from the OpenAPI schema (every query
parameter, and the body fields of the search operations) and from the pages' filter and search
forms. A parameter that `visibility.LIST_PARAMS` does not classify fails
`test_every_api_list_parameter_is_classified` or `test_every_page_filter_is_classified`, so a new
one cannot be forgotten. Then for every role and every classified parameter: a parameter on a
field the role may not see is refused (422 on the API in its error shape, naming the parameter;
a clear message on the page, where the filter is not offered either), and one the role may use is
accepted.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

import pytest
from django import forms as django_forms
from django.test import Client
from django.urls import reverse

from care365.accounts import forms as accounts_forms
from care365.accounts.models import User
from care365.accounts.services import api_token_create
from care365.accounts.visibility import LIST_PARAMS, PAGING, param_allowed
from care365.care import forms as care_forms
from care365.carers import forms as carers_forms
from care365.pairing import forms as pairing_forms
from care365.pairing.models import Pairing
from care365.protection import forms as protection_forms
from care365.registry import forms as registry_forms
from care365.registry.models import Consent, ConsentPurpose
from care365.web import forms as web_forms
from conftest import Personas, shared_personas

# The personas are made once for the module (conftest.module_personas): every case only reads
# them or changes them inside its own transaction.
personas = pytest.fixture(shared_personas, name="personas")

pytestmark = pytest.mark.django_db

API = "/api/v1"
PERSONAS = (
    "admin",
    "supervisor_a",
    "director_a",
    "officer",
    "doctor",
    "volunteer",
    "prefecture_official",
    "outsider",
)
# Which list each API operation's parameters filter, search or sort.
API_LISTS = {
    # The statistics: an area and a period, no field of any child.
    "stats_overview": "stats",
    "stats_children": "stats",
    "stats_pairing": "stats",
    "stats_care": "stats",
    "stats_alerts": "stats",
    "child_list": "children",
    "child_search": "children",
    "carer_list": "carers",
    "alert_list": "alerts",
    "due_list": "due",
    "risk_list": "risk",
    "pairing_propose": "pairing",
    "pairing_proposal_get": "pairing",
    "pairing_approve": "pairing",
    "access_log_list": "access_log",
    "referral_list": "referrals",
    "conference_action_list": "conference_actions",
    "webhook_delivery_list": "webhook_deliveries",
    "health_session_list": "health_sessions",
    "health_session_figures": "health_session_figures",
    "gift_list": "gifts",
}
# Operations whose request body is a search (its fields are filters, not data to write).
SEARCH_OPS = {"child_search"}
# Which list each page's filter or search form filters.
PAGE_FORMS = {
    "ChildFilterForm": "children",
    "ChildSearchForm": "children",
    "CarerFilterForm": "carers",
    "ProposalFilterForm": "pairing",
    "AccessLogFilterForm": "access_log",
    "WebhookDeliveryFilterForm": "webhook_deliveries",
    "SessionFigureFilterForm": "health_session_figures",
}

# Every app's page forms.
FORM_MODULES = (
    registry_forms,
    accounts_forms,
    carers_forms,
    pairing_forms,
    care_forms,
    protection_forms,
    web_forms,
)


def _param_keys(list_name: str, param: str) -> list[str]:
    """The LIST_PARAMS keys a parameter stands for: the children's `q` is a name or, when it is
    a whole ID number, an ID number."""
    if list_name == "children" and param == "q":
        return ["name", "id_number"]
    return [param]


def _api_parameters(schema: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(operation, parameter) -> "query" or "body", for every filter of every operation."""
    found: dict[tuple[str, str], str] = {}
    for ops in schema["paths"].values():
        for op in ops.values():
            name = op["operationId"]
            for parameter in op.get("parameters", []):
                if parameter["in"] == "query" and parameter["name"] not in PAGING:
                    found[(name, parameter["name"])] = "query"
            if name in SEARCH_OPS:
                ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
                for field in body["properties"]:
                    if field not in PAGING:
                        found[(name, field)] = "body"
    return found


def _schema() -> dict[str, Any]:
    """The OpenAPI schema as published (its paths start with /api/v1)."""
    from config.api import api  # needs Django set up, as at collection time

    return api.get_openapi_schema()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return _schema()


def _page_forms() -> dict[str, type[django_forms.Form]]:
    """Every filter or search form of the pages."""
    return {
        name: cls
        for module in FORM_MODULES
        for name, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, django_forms.Form)
        and cls.__module__ == module.__name__
        and ("Filter" in name or "Search" in name)
    }


def test_every_api_list_parameter_is_classified(schema: dict[str, Any]) -> None:
    unclassified = []
    for (op, param), _where in _api_parameters(schema).items():
        list_name = API_LISTS.get(op)
        if list_name is None:
            unclassified.append(f"{op}: no list in API_LISTS")
            continue
        for key in _param_keys(list_name, param):
            if key not in LIST_PARAMS[list_name]:
                unclassified.append(f"{op}.{param}: not in LIST_PARAMS[{list_name!r}]")
    assert unclassified == []


def test_every_page_filter_is_classified() -> None:
    found = _page_forms()
    assert set(found) == set(PAGE_FORMS), "a filter form without an entry in PAGE_FORMS"
    unclassified = []
    for name, cls in found.items():
        list_name = PAGE_FORMS[name]
        for field in cls.base_fields:
            for key in _param_keys(list_name, field):
                if key not in LIST_PARAMS[list_name] and key not in PAGING:
                    unclassified.append(f"{name}.{field}")
    assert unclassified == []


# ---- values to send ------------------------------------------------------------------------

Value = Callable[[Personas], Any]
# One value per parameter (by LIST_PARAMS key), valid for the parameter's type, that would
# narrow a list if it were applied.
SAMPLES: dict[str, Value] = {
    "area": lambda p: p.village_a.pk,
    "age_min": lambda p: 3,
    "age_max": lambda p: 15,
    "include_exited": lambda p: True,
    "exited": lambda p: "on",
    "sex": lambda p: "F",
    "status": lambda p: "left_behind",
    "name": lambda p: p.child_a.name[1:],  # the given name: every role shown a name sees it
    "id_number": lambda p: p.child_a.id_number,
    "role": lambda p: "police",
    "q": lambda p: "张",
    "kind": lambda p: "home_visit",
    "within_days": lambda p: 7,
    "include_below": lambda p: True,
    "outcome": lambda p: "new",
    "child": lambda p: p.child_a.pk,
    "username": lambda p: "director",
    "purpose": lambda p: "view",
    "since": lambda p: "2026-01-01",
    "until": lambda p: "2026-12-31",
    "log": lambda p: "changes",
    "period": lambda p: "2026-05",
    "overdue": lambda p: True,
    "state": lambda p: "failed",
}
# A value of another type where a list's parameter shares a name with another list's.
SAMPLES_OF_LIST: dict[tuple[str, str], Value] = {("gifts", "state"): lambda p: "planned"}


def _pair_everyone(p: Personas) -> None:
    """The carers work with child_a (and the guardian agreed to a volunteer), so that every
    persona has a child a filter could narrow."""
    for user in (p.officer, p.doctor, p.volunteer):
        assert user.carer is not None
        Pairing.objects.create(
            child=p.child_a, role=user.carer.role, carer=user.carer, since=date(2026, 1, 1)
        )
    Consent.objects.create(
        child=p.child_a, purpose=ConsentPurpose.VOLUNTEER, given_on=date(2025, 1, 1)
    )


def _api_cases() -> list[tuple[str, str, str, str]]:
    schema = _schema()
    cases = []
    for (op, param), _where in sorted(_api_parameters(schema).items()):
        list_name = API_LISTS.get(op)
        if list_name is None:
            continue  # reported by test_every_api_list_parameter_is_classified
        for key in _param_keys(list_name, param):
            cases.extend((op, param, key, persona) for persona in PERSONAS)
    return cases


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The API cases need the schema, which needs Django: generated at collection."""
    if "api_case" in metafunc.fixturenames:
        cases = _api_cases()
        metafunc.parametrize(
            "api_case",
            cases,
            ids=[f"{op}-{param}:{key}-{persona}" for op, param, key, persona in cases],
        )
    if "page_case" in metafunc.fixturenames:
        page_cases = [
            (key, persona)
            for key in LIST_PARAMS["children"]
            if key in ("name", "id_number", *registry_forms.ChildFilterForm.PARAMS)
            for persona in PERSONAS
        ]
        metafunc.parametrize(
            "page_case", page_cases, ids=[f"{key}-{persona}" for key, persona in page_cases]
        )


def _operation(schema: dict[str, Any], op: str) -> tuple[str, str]:
    for path, ops in schema["paths"].items():
        for method, spec in ops.items():
            if spec["operationId"] == op:
                return method.upper(), path
    raise KeyError(op)


def test_api_parameter_on_an_unseen_field_is_refused(
    client: Client,
    personas: Personas,
    schema: dict[str, Any],
    api_case: tuple[str, str, str, str],
) -> None:
    op, param, key, persona = api_case
    _pair_everyone(personas)
    user: User = getattr(personas, persona)
    method, path = _operation(schema, op)
    for placeholder in ("{run_id}", "{child_id}", "{event_id}"):
        path = path.replace(placeholder, "1")
    value = SAMPLES_OF_LIST.get((API_LISTS[op], key), SAMPLES[key])(personas)
    headers = {
        "Authorization": f"Bearer {api_token_create(user=user)}",
        "Accept-Language": "en",
    }
    if _api_parameters(schema)[(op, param)] == "body":
        response = client.post(
            path,
            data=json.dumps({"q": "小", param: value}),
            content_type="application/json",
            headers=headers,
        )
    else:
        query = urlencode({param: str(value).lower() if isinstance(value, bool) else value})
        response = getattr(client, method.lower())(f"{path}?{query}", headers=headers)

    # A search always carries its text (a name here), which the role must be allowed too.
    carried_refused = (
        _api_parameters(schema)[(op, param)] == "body"
        and param != "q"
        and not param_allowed(user, API_LISTS[op], "name")
    )
    if param_allowed(user, API_LISTS[op], key) and not carried_refused:
        assert response.status_code != 422, response.content
    elif param_allowed(user, API_LISTS[op], key):
        assert response.status_code == 422
        assert param not in response.json()["errors"]
    else:
        assert response.status_code == 422, response.content
        body = response.json()
        assert set(body) == {"detail", "errors"}
        assert param in body["errors"]
        # The refusal does not repeat what was sent.
        assert str(value) not in response.content.decode()


def test_page_filter_on_an_unseen_field_is_refused_and_not_offered(
    client: Client, personas: Personas, page_case: tuple[str, str]
) -> None:
    key, persona = page_case
    _pair_everyone(personas)
    user: User = getattr(personas, persona)
    client.force_login(user)
    value = SAMPLES[key](personas)
    allowed = param_allowed(user, "children", key)
    if key in ("name", "id_number"):
        client.post(reverse("registry:child-search"), {"q": value})
        response = client.get(reverse("registry:child-list"), HTTP_ACCEPT_LANGUAGE="en")
    else:
        form = registry_forms.ChildSearchForm(user=user)
        assert (key in form.fields) == allowed  # a filter the role may not use is not offered
        query = urlencode({key: value})
        response = client.get(
            f"{reverse('registry:child-list')}?{query}", HTTP_ACCEPT_LANGUAGE="en"
        )
    html = response.content.decode()
    if allowed:
        assert response.status_code == 200
        assert 'id="refusals"' not in html
    else:
        assert response.status_code == 400
        assert 'id="refusals"' in html
        assert "Your role cannot filter, search or sort by this" in html
