"""Teachers and organisation staff: users tied to an organisation of the county's network, who
never open a child's record (their pages are the network's)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation

from care365.accounts import services
from care365.accounts.access import children_for_user, county_of_user, home_kind
from care365.accounts.models import Role, User
from care365.accounts.tests.api_client import Api
from care365.carers.models import Organisation
from care365.carers.tests.factories import OrganisationFactory
from care365.imports.tests.helpers import run_import, write_csv
from conftest import Personas

pytestmark = pytest.mark.django_db


def test_a_teacher_needs_a_school_and_organisation_staff_a_network_organisation(
    personas: Personas,
) -> None:
    with pytest.raises(ValidationError) as no_school, translation.override("en"):
        services.user_create(
            actor=personas.admin,
            username="t1",
            values={"role": Role.TEACHER, "organisation": personas.agency},
        )
    assert no_school.value.message_dict["organisation"] == ["A teacher's organisation is a school."]
    station = personas.officer.carer.organisation  # type: ignore[union-attr]
    with pytest.raises(ValidationError) as station_staff:
        services.user_create(
            actor=personas.admin,
            username="t2",
            values={"role": Role.ORG_STAFF, "organisation": station},
        )
    assert "organisation" in station_staff.value.message_dict
    elsewhere = OrganisationFactory.create(
        kind=Organisation.Kind.SCHOOL, area=personas.other_village.parent
    )
    with pytest.raises(ValidationError) as other_county:
        services.user_create(
            actor=personas.admin,
            username="t3",
            values={"role": Role.TEACHER, "organisation": elsewhere},
        )
    assert "organisation" in other_county.value.message_dict
    with pytest.raises(ValidationError) as missing:
        services.user_create(actor=personas.admin, username="t4", values={"role": Role.TEACHER})
    assert "organisation" in missing.value.message_dict
    assert not User.objects.filter(username__startswith="t", username__regex=r"^t\d$").exists()

    teacher = services.user_create(
        actor=personas.admin,
        username="t5",
        values={"role": Role.TEACHER, "organisation": personas.school_a, "area": personas.county},
    )
    assert (teacher.organisation, teacher.area, teacher.carer) == (personas.school_a, None, None)
    # A change of role to one tied to an area lets go of the organisation.
    services.user_update(
        actor=personas.admin,
        user=teacher,
        values={"role": Role.DIRECTOR, "area": personas.village_a},
    )
    teacher.refresh_from_db()
    assert (teacher.role, teacher.organisation, teacher.area) == (
        Role.DIRECTOR,
        None,
        personas.village_a,
    )


def test_the_database_refuses_an_organisation_role_without_its_organisation(
    personas: Personas,
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="x", role=Role.TEACHER)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(
            username="y", role=Role.DIRECTOR, area=personas.village_a, organisation=personas.agency
        )


def test_teachers_and_organisation_staff_see_no_childs_record(personas: Personas) -> None:
    for user in (personas.teacher, personas.org_staff):
        assert not children_for_user(user).exists()
        assert home_kind(user) == "organisation"
        assert county_of_user(user) == personas.county


def test_their_home_names_the_organisation_and_shows_no_child(
    personas: Personas, client: Client
) -> None:
    client.force_login(personas.teacher)
    page = client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "鹤溪小学" in page and personas.child_a.name not in page
    # The navigation offers no list of children or carers (both empty for them).
    assert reverse("registry:child-list") not in page
    assert reverse("carers:carer-list") not in page
    client.force_login(personas.org_staff)
    listed_page = client.get(reverse("registry:child-list"))
    assert listed_page.status_code == 200  # the list answers, empty (as for a user of no role)
    assert personas.child_a.name not in listed_page.content.decode()


def test_the_users_page_and_api_name_their_organisation(
    personas: Personas, client: Client, api: Api
) -> None:
    client.force_login(personas.admin)
    page = client.get(reverse("accounts:user-list")).content.decode()
    assert "鹤溪小学" in page and "景宁社工服务中心" in page
    admin = personas.admin
    listed = api.get("/users", user=admin, query={"limit": 100}).json()["items"]
    mine = {u["username"]: u for u in listed}
    assert mine["teacher"]["organisation"] == {
        "id": personas.school_a.pk,
        "kind": "school",
        "name": "鹤溪小学",
    }
    created = api.post(
        "/users",
        user=admin,
        body={"username": "org2", "role": "org_staff", "organisation": personas.agency.pk},
    )
    assert created.status_code == 201, created.content
    assert User.objects.get(username="org2").organisation == personas.agency
    refused = api.post(
        "/users",
        user=admin,
        body={"username": "org3", "role": "teacher", "organisation": 2**40},
    )
    assert refused.status_code == 422
    assert "organisation" in refused.content.decode()


def test_teachers_are_imported_with_their_school(personas: Personas, tmp_path: Path) -> None:
    header = ["用户名", "姓名", "角色", "所辖区域", "结对人员电话", "所属机构"]
    rows = [
        ["new_teacher", "陈老师", "教师", "", "", "鹤溪小学"],
        ["new_staff", "", "机构人员", "", "", "景宁社工服务中心"],
        ["bad_teacher", "", "教师", "", "", "景宁社工服务中心"],  # not a school
        ["no_org", "", "机构人员", "", "", ""],
    ]
    path = write_csv(tmp_path / "users.csv", header, rows)
    code, result = run_import("users", str(path), "--county", "331127", "--skip-bad-rows")
    assert code == 1
    assert [(e["row"], e["column"], e["code"]) for e in result["errors"]] == [
        (4, "organisation", "bad_value"),
        (5, "organisation", "missing"),
    ]
    assert User.objects.get(username="new_teacher").organisation == personas.school_a
    assert User.objects.get(username="new_staff").organisation == personas.agency
