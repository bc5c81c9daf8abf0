"""The county's own people through the API: phones checked (422 naming the field, in the
caller's language), a volunteer proposed by a director, a user created with a one-time link."""

from __future__ import annotations

import pytest

from care365.accounts.models import User
from care365.accounts.tests.api_client import Api
from care365.carers.models import Carer, Organisation
from care365.pairing.models import Pairing
from conftest import Personas

pytestmark = pytest.mark.django_db


def station(personas: Personas) -> Organisation:
    return Organisation.objects.get(carers=personas.officer.carer)


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "landline with its area code"), ("zh-hans", "带区号的固定电话")],
)
def test_a_carer_with_a_bad_phone_is_a_422_naming_the_phone(
    api: Api, personas: Personas, language: str, message: str
) -> None:
    body = {
        "role": "police",
        "name": "王警官",
        "sex": "M",
        "organisation": station(personas).pk,
        "capacity": 10,
        "phone": "5081234",
    }
    response = api.post("/carers", user=personas.admin, body=body, language=language)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert list(errors) == ["phone"] and message in errors["phone"][0]
    assert not Carer.objects.filter(name="王警官").exists()
    body["phone"] = "137 0000 1111"
    created = api.post("/carers", user=personas.admin, body=body)
    assert created.status_code == 201 and created.json()["phone"] == "137 0000 1111"


def test_organisation_duty_phone_and_carer_update_phone_are_checked(
    api: Api, personas: Personas
) -> None:
    org = station(personas)
    bad = api.patch(f"/organisations/{org.pk}", user=personas.admin, body={"phone": "12345"})
    assert bad.status_code == 422 and list(bad.json()["errors"]) == ["phone"]
    carer = personas.officer.carer
    assert carer is not None
    bad = api.patch(f"/carers/{carer.pk}", user=personas.admin, body={"phone": "call me"})
    assert bad.status_code == 422 and list(bad.json()["errors"]) == ["phone"]
    good = api.patch(f"/carers/{carer.pk}", user=personas.admin, body={"capacity": 31})
    assert good.status_code == 200 and good.json()["capacity"] == 31


def test_a_director_proposes_a_volunteer_but_not_an_officer(api: Api, personas: Personas) -> None:
    group = Organisation.objects.get(carers=personas.volunteer.carer)
    body = {
        "role": "volunteer",
        "name": "陈姐",
        "sex": "F",
        "organisation": group.pk,
        "capacity": 3,
        "service_areas": [personas.village_a.pk],
    }
    created = api.post("/carers", user=personas.director_a, body=body)
    assert created.status_code == 201, created.content
    assert created.json()["background_check"] == ""
    officer = {**body, "role": "police", "organisation": station(personas).pk}
    assert api.post("/carers", user=personas.director_a, body=officer).status_code == 403
    elsewhere = {**body, "service_areas": [personas.village_b.pk]}
    refused = api.post("/carers", user=personas.director_a, body=elsewhere)
    assert refused.status_code == 422 and list(refused.json()["errors"]) == ["service_areas"]


def test_a_user_is_created_with_a_one_time_link(api: Api, personas: Personas) -> None:
    response = api.post(
        "/users",
        user=personas.admin,
        body={"username": "lixiaomei", "role": "director", "area": personas.village_b.pk},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert "/account/set-password/" in data["password_link"]
    assert data["area"]["id"] == personas.village_b.pk
    assert not User.objects.get(username="lixiaomei").has_usable_password()
    wrong = api.post(
        "/users",
        user=personas.admin,
        body={"username": "x", "role": "director", "area": personas.township_a.pk},
    )
    assert wrong.status_code == 422 and list(wrong.json()["errors"]) == ["area"]


def test_assigning_by_hand_through_the_api(api: Api, personas: Personas) -> None:
    carer = personas.officer.carer
    response = api.post(
        "/pairing/assignments",
        user=personas.admin,
        body={"child": personas.child_b.pk, "carer": carer.pk},  # type: ignore[union-attr]
    )
    assert response.status_code == 201, response.content
    assert response.json()["locked"] is True
    assert Pairing.objects.filter(child=personas.child_b, carer=carer, until=None).exists()
