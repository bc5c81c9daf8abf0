"""Carers, the area tree and the access log through the API."""

from __future__ import annotations

from typing import Any

import pytest

from care365.accounts.access import child_get_for_user
from care365.accounts.models import AccessPurpose
from care365.accounts.tests.api_client import Api
from care365.carers.models import CarerRole
from care365.carers.tests.factories import CarerFactory
from conftest import Personas

pytestmark = pytest.mark.django_db


def test_carer_list_filters_by_role_area_and_name(api: Api, personas: Personas) -> None:
    p = personas
    far = CarerFactory.create(role=CarerRole.POLICE, organisation__area=p.township_b, name="赵警官")

    def ids(**query: Any) -> set[int]:
        response = api.get("/carers", user=p.admin, query=query)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["items"]}

    officer, doctor, volunteer = (p.officer.carer_id, p.doctor.carer_id, p.volunteer.carer_id)
    assert ids() == {officer, doctor, volunteer, far.pk}
    assert ids(role="police") == {officer, far.pk}
    assert ids(area=p.township_b.pk) == {far.pk}
    assert ids(area=p.village_a.pk) == {officer, doctor, volunteer}  # they serve village A
    assert ids(q="赵") == {far.pk}


def test_carer_detail_shows_service_areas_and_vetting(api: Api, personas: Personas) -> None:
    carer = personas.volunteer.carer
    assert carer is not None
    response = api.get(f"/carers/{carer.pk}", user=personas.director_a)

    assert response.status_code == 200
    data = response.json()
    assert data["role"] == "volunteer"
    assert {a["code"] for a in data["service_areas"]} == {
        personas.village_a.code,
        personas.township_a.code,
    }
    assert (data["background_check"], data["background_checked_on"]) == ("passed", "2026-01-10")
    assert data["organisation"]["area"]["id"] == personas.township_a.pk


def test_carer_list_makes_a_fixed_number_of_queries(
    api: Api, personas: Personas, django_assert_num_queries: Any
) -> None:
    api.get("/carers", user=personas.admin)  # the token's first use records it
    with django_assert_num_queries(3):  # token, count, page
        small = api.get("/carers", user=personas.admin)
    CarerFactory.create_batch(8, role=CarerRole.DOCTOR, organisation__area=personas.township_b)
    with django_assert_num_queries(3):
        large = api.get("/carers", user=personas.admin)
    assert large.json()["count"] == small.json()["count"] + 8


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", ["county", "township_a", "village_a", "township_b", "village_b"]),
        ("supervisor_a", ["township_a", "village_a"]),
        ("director_b", ["village_b"]),
        ("officer", []),
        ("outsider", []),
    ],
)
def test_area_tree_is_the_scope_parents_first(
    api: Api, personas: Personas, persona: str, expected: list[str]
) -> None:
    response = api.get("/areas", user=getattr(personas, persona))

    assert response.status_code == 200
    items = response.json()["items"]
    assert [a["id"] for a in items] == [getattr(personas, name).pk for name in expected]
    for area in items:
        model = next(
            getattr(personas, n) for n in expected if getattr(personas, n).pk == area["id"]
        )
        assert area["parent"] == model.parent_id
        assert (area["code"], area["level"], area["latitude"]) == (
            model.code,
            model.level,
            model.latitude,
        )


def test_access_log_lists_reads_newest_first_with_paging(api: Api, personas: Personas) -> None:
    child = personas.child_a
    for user in (personas.director_a, personas.supervisor_a, personas.director_a):
        child_get_for_user(user, child.pk, AccessPurpose.VIEW, route="test")

    response = api.get("/access-log", user=personas.admin, query={"child": child.pk, "limit": 3})

    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 4  # three reads and the admin's own look at the log
    assert [(e["user"]["username"], e["route"]) for e in data["items"]] == [
        ("admin", "api:access_log_list"),
        ("director", "test"),
        ("supervisor", "test"),
    ]
    rest = api.get(
        "/access-log", user=personas.admin, query={"child": child.pk, "limit": 3, "offset": 3}
    ).json()
    # Looking again is another read, so the second page starts one row later.
    assert rest["count"] == 5
    assert [e["user"]["username"] for e in rest["items"]] == ["supervisor", "director"]
