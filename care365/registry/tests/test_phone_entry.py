"""Every phone typed into a child's record (a parent's, the entrusted carer's) is checked — a
mainland mobile number or a landline with its area code — on the pages and in the API, and
refused beside its field in the user's language, with nothing written."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from care365.accounts.tests.api_client import Api
from care365.registry.models import Child, Guardian
from care365.registry.tests.test_pages import error_beside, registration
from conftest import Personas

pytestmark = pytest.mark.django_db

MESSAGES = {
    "en": "Enter a mainland mobile number (11 digits, starting with 1) or a landline with its "
    "area code, such as 0578-5081234.",
    "zh-hans": "请输入大陆手机号（以1开头的11位数字），或带区号的固定电话，如 0578-5081234。",
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("field", ["father_phone", "mother_phone", "guardian_phone"])
def test_a_registration_with_a_bad_phone_shows_the_error_beside_it(
    client: Client, personas: Personas, language: str, field: str
) -> None:
    client.force_login(personas.director_a)
    data = registration(personas.village_a, name="陈小梅", **{field: "5081234"})  # no area code
    response = client.post(reverse("registry:child-register"), data, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert error_beside(response.content.decode(), field) == [MESSAGES[language]]
    assert not Child.objects.filter(name="陈小梅").exists()


@pytest.mark.parametrize(
    "phone", ["13700000003", "0578-5081234", "+86 137 0000 0003", "(010) 62345678"]
)
def test_mobiles_and_landlines_with_their_area_code_are_accepted(
    client: Client, personas: Personas, phone: str
) -> None:
    client.force_login(personas.director_a)
    data = registration(personas.village_a, name="陈小梅", guardian_phone=phone)
    response = client.post(reverse("registry:child-register"), data)
    assert response.status_code == 302
    assert Guardian.objects.get(child__name="陈小梅").phone == phone


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(("part", "phone"), [("guardian", "1370000"), ("father", "12345678901")])
def test_the_api_refuses_a_bad_phone_with_a_422_naming_the_field(
    api: Api, personas: Personas, language: str, part: str, phone: str
) -> None:
    response = api.patch(
        f"/children/{personas.child_a.pk}",
        user=personas.director_a,
        body={"school": "城关小学", part: {"phone": phone}},
        language=language,
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == {f"{part}.phone": [MESSAGES[language]]}
    child = Child.objects.get(pk=personas.child_a.pk)
    assert child.school != "城关小学"  # one transaction: nothing was written
    assert child.guardian.phone == "13900000000"
