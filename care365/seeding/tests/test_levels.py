"""The seeded county sits under its real prefecture and province, and the demo has an official
at each of those levels who sees figures and no child."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from care365.accounts.access import children_for_user
from care365.accounts.models import Role, User
from care365.areas.models import Area
from care365.seeding.seed.demo import demo_users_ensure

pytestmark = pytest.mark.django_db


def _seed(*args: str) -> None:
    call_command("seed", "--children", "60", *args, verbosity=0, stderr=StringIO())


def test_seed_puts_the_county_under_its_prefecture_and_province() -> None:
    _seed()
    county = Area.objects.select_related("parent__parent").get(level=Area.Level.COUNTY)
    assert (county.code, county.name) == ("331127", "景宁畲族自治县")
    prefecture = county.parent
    assert prefecture is not None and (prefecture.level, prefecture.code, prefecture.name) == (
        "prefecture",
        "331100",
        "丽水市",
    )
    province = prefecture.parent
    assert province is not None and (province.level, province.code, province.name) == (
        "province",
        "330000",
        "浙江省",
    )
    # A new ancestor stands where its one county does.
    assert (province.latitude, province.longitude) == (county.latitude, county.longitude)


def test_a_second_county_joins_the_same_prefecture_under_its_real_name() -> None:
    _seed()
    _seed("--county-code", "331126", "--append")
    qingyuan = Area.objects.get(code="331126")
    assert qingyuan.name == "庆元县" and qingyuan.parent == Area.objects.get(code="331100")
    assert Area.objects.filter(level__in=["prefecture", "province"]).count() == 2


def test_seed_refuses_a_prefecture_code() -> None:
    with pytest.raises(CommandError, match="prefecture"):
        _seed("--county-code", "331100")


def test_demo_officials_above_the_county_see_figures_and_no_child() -> None:
    _seed()
    logins = {login.username: login for login in demo_users_ensure()}
    assert logins["prefecture"].where == "丽水市" and logins["province"].where == "浙江省"
    for username, role in (
        ("prefecture", Role.PREFECTURE_OFFICIAL),
        ("province", Role.PROVINCE_OFFICIAL),
    ):
        user = User.objects.get(username=username)
        assert user.role == role and user.personal_name
        assert not children_for_user(user).exists()
        client = Client()
        client.force_login(user)
        html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "景宁畲族自治县" in html and "Children by county" in html


def test_demo_teacher_has_a_school_roll_with_absences_and_a_drop_out() -> None:
    from care365.network.access import school_children_for_user
    from care365.network.models import AttendanceConcern, DropOut
    from care365.seeding.seed.network import demo_schools

    call_command("seed", "--children", "300", verbosity=0, stderr=StringIO())
    logins = {login.username: login for login in demo_users_ensure()}
    teacher = User.objects.get(username="teacher")
    assert teacher.role == Role.TEACHER and teacher.organisation is not None
    assert logins["teacher"].where == teacher.organisation.name
    director = User.objects.get(username="director")
    enrolled = demo_schools(director=director, teacher=teacher)
    assert enrolled >= 4
    assert school_children_for_user(teacher).count() == enrolled - 1  # one dropped out
    drop_out = DropOut.objects.get()
    assert drop_out.referral is not None and drop_out.referral.service == "school_reentry"
    assert AttendanceConcern.objects.filter(closed_on__isnull=True).count() == 1
    assert not children_for_user(teacher).exists()
