from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from care365.accounts.access import ChildNotFound, child_get_for_user, children_for_user
from care365.accounts.models import AccessLog, AccessPurpose
from conftest import Personas

pytestmark = pytest.mark.django_db


def test_county_admin_sees_every_child_in_the_county_only(personas: Personas) -> None:
    ids = set(children_for_user(personas.admin).values_list("pk", flat=True))
    assert ids == {personas.child_a.pk, personas.child_b.pk}


def test_supervisor_sees_their_township_only(personas: Personas) -> None:
    ids = set(children_for_user(personas.supervisor_a).values_list("pk", flat=True))
    assert ids == {personas.child_a.pk}


def test_director_sees_their_village_only(personas: Personas) -> None:
    assert list(children_for_user(personas.director_b)) == [personas.child_b]


@pytest.mark.parametrize("who", ["officer", "doctor", "volunteer", "outsider"])
def test_carers_and_outsiders_see_no_children_before_pairing(personas: Personas, who: str) -> None:
    assert not children_for_user(getattr(personas, who)).exists()


def test_out_of_scope_and_missing_look_the_same(personas: Personas) -> None:
    with pytest.raises(ChildNotFound):
        child_get_for_user(personas.director_a, personas.child_b.pk, AccessPurpose.VIEW)
    with pytest.raises(ChildNotFound):
        child_get_for_user(personas.director_a, 999_999, AccessPurpose.VIEW)
    with pytest.raises(ChildNotFound):
        child_get_for_user(personas.director_a, "not-a-number", AccessPurpose.VIEW)
    assert not AccessLog.objects.exists()


def test_every_single_child_read_is_logged(personas: Personas) -> None:
    child = child_get_for_user(
        personas.director_a, personas.child_a.pk, AccessPurpose.VIEW, route="web:child-detail"
    )
    assert child == personas.child_a
    log = AccessLog.objects.get()
    assert (log.user, log.child, log.purpose, log.route) == (
        personas.director_a,
        personas.child_a,
        AccessPurpose.VIEW,
        "web:child-detail",
    )


def test_revealing_a_full_id_number_needs_a_county_admin_and_a_reason(
    personas: Personas,
) -> None:
    with pytest.raises(PermissionDenied):
        child_get_for_user(personas.director_a, personas.child_a.pk, AccessPurpose.REVEAL_ID)
    with pytest.raises(PermissionDenied):
        child_get_for_user(personas.admin, personas.child_a.pk, AccessPurpose.REVEAL_ID)
    child_get_for_user(
        personas.admin, personas.child_a.pk, AccessPurpose.REVEAL_ID, reason="公安核查"
    )
    assert AccessLog.objects.get().reason == "公安核查"


def test_inactive_user_sees_nothing(personas: Personas) -> None:
    personas.admin.is_active = False
    assert not children_for_user(personas.admin).exists()
