"""The county duty desk's phone is checked like every phone entered: beside the field on the
page, a 422 naming it in the API."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from care365.accounts.tests.api_client import Api
from care365.protection.models import EscalationPolicy
from care365.protection.tests.test_api import POLICY
from conftest import Personas

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "landline with its area code"), ("zh-hans", "带区号的固定电话")],
)
def test_the_policy_page_shows_a_bad_desk_phone_beside_the_field(
    client: Client, personas: Personas, language: str, message: str
) -> None:
    client.force_login(personas.admin)
    url = reverse("protection:escalation-policy")
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v not in (None, "", [])}
    data["desk_phone"] = "5081234"
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["desk_phone"] and message in errors["desk_phone"][0]
    assert not EscalationPolicy.objects.exists()


def test_the_api_refuses_a_desk_landline_without_its_area_code(
    api: Api, personas: Personas
) -> None:
    body = {**POLICY, "desk_phone": "5081234"}
    response = api.call("PUT", "/escalation-policy", user=personas.admin, body=body)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["desk_phone"]
    assert not EscalationPolicy.objects.exists()
