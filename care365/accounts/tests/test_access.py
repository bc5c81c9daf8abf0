from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from care365.accounts.access import child_get_for_user, children_for_user
from care365.accounts.models import AccessGrant, AccessLog, AccessPurpose, User
from care365.core.errors import NotFound
from care365.core.ledger import chain_append
from care365.core.models import Notice
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
    with pytest.raises(NotFound):
        child_get_for_user(personas.director_a, personas.child_b.pk, AccessPurpose.VIEW)
    with pytest.raises(NotFound):
        child_get_for_user(personas.director_a, 999_999, AccessPurpose.VIEW)
    with pytest.raises(NotFound):
        child_get_for_user(personas.director_a, "not-a-number", AccessPurpose.VIEW)
    assert not AccessLog.objects.exists()


def test_every_single_child_read_is_logged(personas: Personas) -> None:
    child = child_get_for_user(
        personas.director_a, personas.child_a.pk, AccessPurpose.VIEW, route="registry:child-detail"
    )
    assert child == personas.child_a
    log = AccessLog.objects.get()
    assert (log.user, log.child, log.purpose, log.route) == (
        personas.director_a,
        personas.child_a,
        AccessPurpose.VIEW,
        "registry:child-detail",
    )


def test_revealing_a_full_id_number_needs_a_county_admin_and_a_reason(
    personas: Personas,
) -> None:
    with pytest.raises(PermissionDenied):
        child_get_for_user(personas.director_a, personas.child_a.pk, AccessPurpose.REVEAL_ID)
    with pytest.raises(ValidationError):
        child_get_for_user(personas.admin, personas.child_a.pk, AccessPurpose.REVEAL_ID)
    child_get_for_user(
        personas.admin,
        personas.child_a.pk,
        AccessPurpose.REVEAL_ID,
        reason="派出所核查户籍信息需要",
    )
    assert AccessLog.objects.get(outcome="allowed").reason == "派出所核查户籍信息需要"
    # The director's attempt is in the log as a refusal, not as a read; the administrator's
    # without a reason was turned back before anything was read.
    assert list(
        AccessLog.objects.filter(outcome="refused").values_list("user__username", flat=True)
    ) == ["director"]


def test_inactive_user_sees_nothing(personas: Personas) -> None:
    personas.admin.is_active = False
    assert not children_for_user(personas.admin).exists()


def test_an_in_scope_read_reads_the_child_once_and_no_grants(personas: Personas) -> None:
    with CaptureQueriesContext(connection) as queries:
        child_get_for_user(personas.director_a, personas.child_a.pk, AccessPurpose.VIEW)
    sqls = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in sqls if "accounts_accessgrant" in s]
    assert len([s for s in sqls if s.startswith("SELECT") and 'FROM "registry_child"' in s]) == 1


def test_a_granted_child_outside_scope_opens_until_the_grant_expires(personas: Personas) -> None:
    grant = AccessGrant.objects.create(
        user=personas.director_a,
        child=personas.child_b,
        reason="代同事值班处理紧急情况",
        expires_at=timezone.now() + timedelta(minutes=30),
    )
    director = User.objects.get(pk=personas.director_a.pk)  # one user object per request
    assert child_get_for_user(director, personas.child_b.pk, AccessPurpose.VIEW) == (
        personas.child_b
    )
    AccessGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now())
    director = User.objects.get(pk=personas.director_a.pk)
    with pytest.raises(NotFound):
        child_get_for_user(director, personas.child_b.pk, AccessPurpose.VIEW)
    assert AccessLog.objects.filter(child=personas.child_b).count() == 1


def test_unusual_access_is_told_when_the_count_of_children_reaches_the_threshold(
    personas: Personas, settings: Any
) -> None:
    settings.UNUSUAL_ACCESS_PER_HOUR = 2

    def told() -> int:
        return Notice.objects.filter(kind="unusual_access").count()

    child_get_for_user(personas.admin, personas.child_a.pk, AccessPurpose.VIEW)
    child_get_for_user(personas.admin, personas.child_a.pk, AccessPurpose.VIEW)
    assert told() == 0  # one child, read twice
    child_get_for_user(personas.admin, personas.child_b.pk, AccessPurpose.VIEW)
    notice = Notice.objects.get(kind="unusual_access")
    assert (notice.recipient, notice.params["children"]) == (personas.admin, 2)
    # Reading the same children again does not add to the count: nothing more is told.
    child_get_for_user(personas.admin, personas.child_b.pk, AccessPurpose.VIEW)
    child_get_for_user(personas.admin, personas.child_a.pk, AccessPurpose.VIEW)
    assert told() == 1


def test_a_read_counts_again_once_the_earlier_read_is_over_an_hour_old(
    personas: Personas, settings: Any
) -> None:
    settings.UNUSUAL_ACCESS_PER_HOUR = 1
    chain_append(
        AccessLog(
            user=personas.admin,
            child=personas.child_a,
            purpose=AccessPurpose.VIEW,
            at=timezone.now() - timedelta(minutes=61),
        )
    )
    child_get_for_user(personas.admin, personas.child_a.pk, AccessPurpose.VIEW)
    assert Notice.objects.get(kind="unusual_access").params["children"] == 1


# Province and prefecture officials: figures, never a child. ------------------------------------


@pytest.mark.parametrize("who", ["province_official", "prefecture_official"])
def test_officials_above_the_county_have_no_child_in_scope(personas: Personas, who: str) -> None:
    from care365.accounts.access import (
        areas_for_user,
        carers_for_user,
        children_for_user,
        children_in_scope,
        figures_area,
        home_kind,
        may_break_glass,
        scope_village_ids,
    )
    from care365.core.errors import NotFound

    official = getattr(personas, who)
    assert not children_in_scope(official).exists()
    assert not children_for_user(official).exists()
    assert not areas_for_user(official).exists()
    assert not carers_for_user(official).exists()
    assert scope_village_ids(official) is None
    assert not may_break_glass(official)
    assert home_kind(official) == "figures"
    assert figures_area(official) == official.area
    for child in (personas.child_a, personas.child_other):
        with pytest.raises(NotFound):
            child_get_for_user(official, child.pk, "view")


def test_only_officials_above_the_county_have_a_figures_area(personas: Personas) -> None:
    from care365.accounts.access import figures_area

    assert figures_area(personas.province_official) == personas.province
    assert figures_area(personas.prefecture_official) == personas.prefecture
    for user in (personas.admin, personas.director_a, personas.officer, personas.outsider):
        assert figures_area(user) is None


def test_an_official_needs_an_area_of_their_level(personas: Personas) -> None:
    from django.core.exceptions import ValidationError

    from care365.accounts.models import Role

    official = personas.province_official
    official.full_clean()
    official.area = personas.prefecture
    with pytest.raises(ValidationError) as info:
        official.full_clean()
    assert "area" in info.value.message_dict
    official.role, official.area = Role.PREFECTURE_OFFICIAL, personas.county
    with pytest.raises(ValidationError):
        official.full_clean()
    official.area = personas.prefecture
    official.full_clean()


def test_the_database_refuses_an_official_without_an_area(personas: Personas) -> None:
    from django.db import IntegrityError, transaction

    from care365.accounts.models import Role, User

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="no-area", role=Role.PROVINCE_OFFICIAL)
