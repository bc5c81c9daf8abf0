"""The county administrator's writes about the county's users, carers, organisations and areas:
each action, its audit row, and who may not (supervisors, directors, carers, another county's
administrator)."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from care365.accounts import services
from care365.accounts.models import ApiToken, Role, TotpDevice, User
from care365.areas.models import Area
from care365.areas.tests.factories import VillageFactory
from care365.carers.models import BackgroundCheck, Carer, CarerRole, Organisation
from care365.carers.tests.factories import CarerFactory, OrganisationFactory
from care365.core.models import AuditEvent
from care365.registry.models import Child, TransferRequest
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

pytestmark = pytest.mark.django_db

NOT_ADMINS = ("supervisor_a", "director_a", "officer", "doctor", "volunteer", "outsider")


def audited(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


# Users -------------------------------------------------------------------------------------------


def test_admin_adds_a_director_who_sets_a_password_through_a_one_time_link(
    client: Client, personas: Personas
) -> None:
    user = services.user_create(
        actor=personas.admin,
        username="lixiaomei",
        values={"role": Role.DIRECTOR, "area": personas.village_b, "last_name": "李"},
    )
    assert (user.role, user.area, user.has_usable_password()) == (
        Role.DIRECTOR,
        personas.village_b,
        False,
    )
    assert audited("user_create")[0].object_id == user.pk
    link = services.user_invite_link(actor=personas.admin, user=user)
    assert audited("user_invite_link")[0].actor_id == personas.admin.pk
    page = client.get(link, follow=True)
    assert page.status_code == 200 and page.context["validlink"]
    done = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "远山村口的大樟树", "new_password2": "远山村口的大樟树"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("远山村口的大樟树")
    again = client.get(link, follow=True)
    assert not again.context["validlink"]  # one time only


def test_user_scope_follows_user_clean(personas: Personas) -> None:
    with pytest.raises(ValidationError) as wrong_level:
        services.user_create(
            actor=personas.admin,
            username="x1",
            values={"role": Role.DIRECTOR, "area": personas.township_a},
        )
    assert "area" in wrong_level.value.message_dict
    with pytest.raises(ValidationError) as other_role:
        services.user_create(
            actor=personas.admin,
            username="x2",
            values={"role": Role.DOCTOR, "carer": CarerFactory.create(role=CarerRole.POLICE)},
        )
    assert "carer" in other_role.value.message_dict
    with pytest.raises(ValidationError) as taken, translation.override("en"):
        services.user_create(
            actor=personas.admin,
            username="x3",
            values={"role": Role.POLICE, "carer": personas.officer.carer},
        )
    assert "This carer already has a sign-in." in taken.value.message_dict["carer"]
    with pytest.raises(ValidationError) as elsewhere:
        services.user_create(
            actor=personas.admin,
            username="x4",
            values={"role": Role.DIRECTOR, "area": personas.other_village},
        )
    assert "area" in elsewhere.value.message_dict
    with pytest.raises(ValidationError) as same_name:
        services.user_create(
            actor=personas.admin, username="Director", values={"role": Role.COUNTY_ADMIN}
        )
    assert "username" in same_name.value.message_dict
    assert not User.objects.filter(username__startswith="x").exists()


def test_admin_changes_role_and_area_deactivates_resets_two_step(personas: Personas) -> None:
    director = personas.director_b
    services.user_update(
        actor=personas.admin,
        user=director,
        values={"role": Role.SUPERVISOR, "area": personas.township_b},
    )
    director.refresh_from_db()
    assert (director.role, director.area) == (Role.SUPERVISOR, personas.township_b)
    assert audited("user_update")[0].changes == ["area", "role"]

    services.api_token_create(user=director)
    assert services.user_deactivate(actor=personas.admin, user=director)
    director.refresh_from_db()
    assert not director.is_active
    assert not ApiToken.objects.filter(user=director, revoked_at__isnull=True).exists()
    assert audited("user_deactivate")
    assert services.user_reactivate(actor=personas.admin, user=director)

    TotpDevice.objects.create(user=director, secret="JBSWY3DPEHPK3PXP")
    assert services.user_two_step_reset(actor=personas.admin, user=director)
    assert not TotpDevice.objects.filter(user=director).exists()
    assert audited("totp_reset")[0].actor_id == personas.admin.pk


def test_an_admin_cannot_deactivate_themself_nor_change_their_own_role(
    personas: Personas,
) -> None:
    with pytest.raises(ValidationError):
        services.user_deactivate(actor=personas.admin, user=personas.admin)
    with pytest.raises(ValidationError):
        services.user_update(
            actor=personas.admin, user=personas.admin, values={"role": Role.SUPERVISOR}
        )


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_only_a_county_administrator_manages_users(personas: Personas, who: str) -> None:
    actor: User = getattr(personas, who)
    with pytest.raises(PermissionDenied):
        services.user_create(
            actor=actor, username="new", values={"role": Role.DIRECTOR, "area": personas.village_a}
        )
    for action in (services.user_deactivate, services.user_two_step_reset):
        with pytest.raises(PermissionDenied):
            action(actor=actor, user=personas.director_b)
    with pytest.raises(PermissionDenied):
        services.user_invite_link(actor=actor, user=personas.director_b)
    assert personas.director_b.is_active


def test_another_countys_administrator_cannot_touch_this_countys_users(
    personas: Personas,
) -> None:
    other = personas.other_admin
    with pytest.raises(PermissionDenied):
        services.user_update(actor=other, user=personas.director_a, values={"first_name": "x"})
    with pytest.raises(PermissionDenied):
        services.user_deactivate(actor=other, user=personas.officer)
    with pytest.raises(PermissionDenied):
        services.user_invite_link(actor=other, user=personas.director_a)
    with pytest.raises(ValidationError):  # the area names a village of another county
        services.user_create(
            actor=other, username="new", values={"role": Role.DIRECTOR, "area": personas.village_a}
        )


def test_an_invite_link_token_is_djangos_and_dies_with_the_password(personas: Personas) -> None:
    user = personas.director_b
    link = services.user_invite_link(actor=personas.admin, user=user)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert default_token_generator.check_token(user, token)
    user.set_password("另一个很长的密码")
    user.save()
    assert not default_token_generator.check_token(user, token)


# Carers and organisations --------------------------------------------------------------------


def carer_values(personas: Personas, **changes: object) -> dict[str, object]:
    station = Organisation.objects.get(carers=personas.officer.carer)
    values: dict[str, object] = {
        "name": "王警官",
        "sex": "M",
        "phone": "13700001111",
        "organisation": station,
        "capacity": 40,
        "skills": ["safety", "first_aid"],
        "languages": ["mandarin", "she"],
        "service_areas": [personas.township_a, personas.village_b],
    }
    values.update(changes)
    return values


def test_admin_adds_edits_and_vets_a_carer(personas: Personas) -> None:
    carer = services.carer_create(
        actor=personas.admin, role=CarerRole.POLICE, values=carer_values(personas)
    )
    assert (carer.name, carer.capacity, carer.skills) == ("王警官", 40, ["safety", "first_aid"])
    assert set(carer.service_areas.all()) == {personas.township_a, personas.village_b}
    # No place given: where the organisation is.
    assert (carer.latitude, carer.longitude) == (
        personas.township_a.latitude,
        personas.township_a.longitude,
    )
    services.carer_update(
        actor=personas.admin, carer=carer, values={"capacity": 45, "phone": "0578-5081234"}
    )
    carer.refresh_from_db()
    assert (carer.capacity, carer.phone) == (45, "0578-5081234")
    assert audited("carer_update")[0].changes == ["capacity", "phone"]
    services.carer_vet(
        actor=personas.admin,
        carer=carer,
        background_check=BackgroundCheck.PASSED,
        background_checked_on=date(2026, 1, 5),
        trained_on=date(2026, 1, 20),
    )
    carer.refresh_from_db()
    assert carer.background_check == BackgroundCheck.PASSED
    assert [e.action for e in AuditEvent.objects.filter(object_id=carer.pk).order_by("seq")] == [
        "carer_create",
        "carer_update",
        "carer_vet",
    ]


def test_carer_errors_are_keyed_by_field_and_nothing_is_written(personas: Personas) -> None:
    clinic = OrganisationFactory.create(
        kind=Organisation.Kind.VILLAGE_CLINIC, area=personas.township_a
    )
    with pytest.raises(ValidationError) as caught:
        services.carer_create(
            actor=personas.admin,
            role=CarerRole.POLICE,
            values=carer_values(
                personas,
                phone="5081234",
                organisation=clinic,
                skills=["flying"],
                capacity=0,
                service_areas=[personas.other_village],
            ),
        )
    assert set(caught.value.message_dict) == {
        "phone",
        "organisation",
        "skills",
        "capacity",
        "service_areas",
    }
    assert not Carer.objects.filter(name="王警官").exists()


def test_a_director_may_propose_a_volunteer_of_their_village_only(personas: Personas) -> None:
    group = OrganisationFactory.create(
        kind=Organisation.Kind.VOLUNTEER_GROUP, area=personas.township_a
    )
    values = {
        "name": "陈姐",
        "sex": "F",
        "organisation": group,
        "capacity": 3,
        "service_areas": [personas.village_a],
        "background_check": BackgroundCheck.PASSED,  # not the director's to record
        "background_checked_on": date(2026, 1, 1),
    }
    carer = services.carer_create(
        actor=personas.director_a, role=CarerRole.VOLUNTEER, values=values
    )
    assert carer.role == CarerRole.VOLUNTEER and carer.background_check == ""
    with pytest.raises(PermissionDenied):
        services.carer_create(actor=personas.director_a, role=CarerRole.POLICE, values=values)
    with pytest.raises(ValidationError) as caught:
        services.carer_create(
            actor=personas.director_a,
            role=CarerRole.VOLUNTEER,
            values={**values, "service_areas": [personas.village_b]},
        )
    assert "service_areas" in caught.value.message_dict
    for action in ("carer_update", "carer_vet"):
        with pytest.raises(PermissionDenied):
            if action == "carer_update":
                services.carer_update(
                    actor=personas.director_a, carer=carer, values={"capacity": 5}
                )
            else:
                services.carer_vet(
                    actor=personas.director_a,
                    carer=carer,
                    background_check="passed",
                    background_checked_on=date(2026, 1, 1),
                    trained_on=None,
                )


@pytest.mark.parametrize("who", [*NOT_ADMINS, "other_admin"])
def test_only_the_carers_county_administrator_edits_them(personas: Personas, who: str) -> None:
    carer = personas.doctor.carer
    assert carer is not None
    with pytest.raises(PermissionDenied):
        services.carer_update(actor=getattr(personas, who), carer=carer, values={"capacity": 1})
    carer.refresh_from_db()
    assert carer.capacity == 30


def test_vetting_needs_dates_that_are_not_in_the_future(personas: Personas) -> None:
    carer = personas.volunteer.carer
    assert carer is not None
    with pytest.raises(ValidationError) as caught:
        services.carer_vet(
            actor=personas.admin,
            carer=carer,
            background_check=BackgroundCheck.FAILED,
            background_checked_on=None,
            trained_on=date(2999, 1, 1),
        )
    assert set(caught.value.message_dict) == {"background_checked_on", "trained_on"}


def test_organisations_are_added_and_edited_with_a_checked_duty_phone(
    personas: Personas,
) -> None:
    station = services.organisation_create(
        actor=personas.admin,
        values={
            "kind": Organisation.Kind.POLICE_STATION,
            "name": "东坑派出所",
            "area": personas.township_b,
            "phone": "0578-5081110",
        },
    )
    assert station.phone == "0578-5081110"
    with pytest.raises(ValidationError) as caught:
        services.organisation_update(
            actor=personas.admin, organisation=station, values={"phone": "110"}
        )
    assert list(caught.value.message_dict) == ["phone"]
    station.refresh_from_db()
    assert station.phone == "0578-5081110"
    services.organisation_update(
        actor=personas.admin, organisation=station, values={"name": "东坑镇派出所"}
    )
    assert [e.action for e in AuditEvent.objects.filter(object_id=station.pk)] == [
        "organisation_create",
        "organisation_update",
    ]
    with pytest.raises(PermissionDenied):
        services.organisation_update(
            actor=personas.other_admin, organisation=station, values={"name": "x"}
        )
    with pytest.raises(PermissionDenied):
        services.organisation_create(
            actor=personas.supervisor_a,
            values={"kind": "station", "name": "x", "area": personas.township_a},
        )
    officer_station = Organisation.objects.get(carers=personas.officer.carer)
    with pytest.raises(ValidationError) as kind:
        services.organisation_update(
            actor=personas.admin, organisation=officer_station, values={"kind": "clinic"}
        )
    assert list(kind.value.message_dict) == ["kind"]


# Areas ---------------------------------------------------------------------------------------


def test_admin_adds_and_renames_villages(personas: Personas) -> None:
    village = services.area_create(
        actor=personas.admin,
        level=Area.Level.VILLAGE,
        parent=personas.township_a,
        code="331127101299",
        values={"name": "新村", "latitude": 27.98, "longitude": 119.64},
    )
    assert village.parent == personas.township_a
    services.area_update(actor=personas.admin, area=village, values={"name": "新民村"})
    village.refresh_from_db()
    assert village.name == "新民村"
    with pytest.raises(ValidationError) as caught:
        services.area_create(
            actor=personas.admin,
            level=Area.Level.VILLAGE,
            parent=personas.township_a,
            code="331127102299",  # another township's code
            values={"name": "错村"},
        )
    assert "code" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.area_create(
            actor=personas.other_admin,
            level=Area.Level.VILLAGE,
            parent=personas.township_a,
            code="331127101298",
            values={"name": "他县村"},
        )
    with pytest.raises(PermissionDenied):
        services.area_update(actor=personas.other_admin, area=village, values={"name": "x"})
    with pytest.raises(PermissionDenied):
        services.area_update(actor=personas.director_a, area=village, values={"name": "x"})
    assert [e.action for e in AuditEvent.objects.filter(object_type="areas.area")] == [
        "area_create",
        "area_update",
    ]


def test_merging_villages_moves_children_carers_users_and_the_rest(personas: Personas) -> None:
    keep, absorb = (
        personas.village_a,
        VillageFactory.create(parent=personas.township_a, code="331127101202", name="西弄村"),
    )
    children = LeftBehindChildFactory.create_batch(2, village=absorb)
    serves_both = personas.officer.carer
    assert serves_both is not None
    serves_both.service_areas.add(absorb)
    serves_absorbed = CarerFactory.create(organisation__area=personas.township_a)
    serves_absorbed.service_areas.add(absorb)
    director = User.objects.create(username="west", role=Role.DIRECTOR, area=absorb)
    TransferRequest.objects.create(
        child=personas.child_b, village=absorb, requested_by=personas.director_a
    )

    moved = services.area_merge(actor=personas.admin, keep=keep, absorb=absorb)

    assert not Area.objects.filter(pk=absorb.pk).exists()
    assert set(
        Child.objects.filter(pk__in=[c.pk for c in children]).values_list("village", flat=True)
    ) == {keep.pk}
    assert list(serves_both.service_areas.filter(level="village")) == [keep]
    assert list(serves_absorbed.service_areas.all()) == [keep]
    director.refresh_from_db()
    assert director.area == keep
    assert TransferRequest.objects.get().village == keep
    assert moved["registry.child.village"] == 2
    event = audited("area_merge")[0]
    assert event.object_id == keep.pk and "331127101202" in event.note


@pytest.mark.parametrize("who", ["other_admin", "supervisor_a", "director_a"])
def test_only_the_countys_administrator_merges_its_villages(personas: Personas, who: str) -> None:
    with pytest.raises((PermissionDenied, ValidationError)):
        services.area_merge(
            actor=getattr(personas, who), keep=personas.village_a, absorb=personas.village_b
        )
    assert Area.objects.filter(pk=personas.village_b.pk).exists()
    with pytest.raises(ValidationError):
        services.area_merge(
            actor=personas.admin, keep=personas.village_a, absorb=personas.other_village
        )
    assert Area.objects.filter(pk=personas.other_village.pk).exists()
