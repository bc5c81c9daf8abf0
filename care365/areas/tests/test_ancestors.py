"""Provinces and prefectures above the counties: the rule the migration, the seeder and the
factories share, and the data migration that put the existing counties under them."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.db import connection

from care365.areas.ancestors import county_ancestors, county_parents_ensure
from care365.areas.models import Area

_migration = importlib.import_module(
    "care365.areas.migrations.0003_counties_under_prefectures_and_provinces"
)


def _bare_county(code: str, name: str, lat: float, lon: float) -> Area:
    """A county as it was before the levels above it existed: a root. The root rule of today
    refuses that, so it is lifted for the test the way the migrations order it (0002 drops the
    old rule, 0004 adds the new one after the data migration)."""
    return Area(level="county", code=code, name=name, latitude=lat, longitude=lon)


@pytest.fixture
def roots_allowed(transactional_db: None) -> Iterator[None]:
    """The database as the data migration meets it: counties may be roots (0002 dropped the old
    root rule; 0004 adds the new one after the data migration). Outside a transaction, so that
    the schema can change (SQLite); the rule is put back once the rows are gone."""
    constraints = Area._meta.constraints
    constraint = next(c for c in constraints if c.name == "area_only_provinces_are_roots")
    # SQLite drops a constraint by copying the table as the model describes it: describe it
    # without the rule for that moment, as the migration state does.
    Area._meta.constraints = [c for c in constraints if c is not constraint]
    try:
        with connection.schema_editor() as editor:
            editor.remove_constraint(Area, constraint)
    finally:
        Area._meta.constraints = constraints
    yield
    Area.objects.filter(level="village").delete()
    Area.objects.filter(level="township").delete()
    Area.objects.filter(level="county").delete()
    Area.objects.filter(level="prefecture").delete()
    Area.objects.filter(level="province").delete()
    with connection.schema_editor() as editor:
        editor.add_constraint(Area, constraint)


def test_county_ancestors_name_the_real_province_and_prefecture() -> None:
    province, prefecture = county_ancestors("331127")
    assert (province.code, province.level, province.name) == ("330000", "province", "浙江省")
    assert (prefecture.code, prefecture.level) == ("331100", "prefecture")
    assert prefecture.name == "丽水市"
    assert prefecture.parent_code == "330000"


def test_a_municipality_district_sits_directly_under_its_province() -> None:
    # GB/T 2260 has no prefecture 110100 (its "市辖区" is a statistical grouping).
    assert [(a.code, a.name) for a in county_ancestors("110101")] == [("110000", "北京市")]
    # Nor has it 429000 above 仙桃市, a county-level city the province runs itself.
    assert [a.code for a in county_ancestors("429004")] == ["420000"]


def test_a_historic_prefecture_keeps_its_last_name() -> None:
    # 2202 was 吉林省's 吉林地区 then 吉林市: the code's most recent name.
    (_, prefecture) = county_ancestors("220202")
    assert prefecture.code == "220200" and prefecture.name == "吉林市"


@pytest.mark.usefixtures("roots_allowed")
def test_migration_puts_every_county_under_its_prefecture_and_province() -> None:
    jingning = _bare_county("331127", "景宁畲族自治县", 28.0, 119.6)
    qingyuan = _bare_county("331126", "庆元县", 27.6, 119.0)
    dongcheng = _bare_county("110101", "东城区", 39.9, 116.4)
    hangzhou_district = _bare_county("330102", "上城区", 30.2, 120.2)
    for county in (jingning, qingyuan, dongcheng, hangzhou_district):
        county.save()

    _migration.counties_join_their_ancestors(apps, None)

    by_code = {a.code: a for a in Area.objects.select_related("parent")}
    tree = {c: (a.level, a.name, a.parent.code if a.parent else None) for c, a in by_code.items()}
    assert tree == {
        "330000": ("province", "浙江省", None),
        "331100": ("prefecture", "丽水市", "330000"),
        "330100": ("prefecture", "杭州市", "330000"),
        "110000": ("province", "北京市", None),
        "331127": ("county", "景宁畲族自治县", "331100"),
        "331126": ("county", "庆元县", "331100"),
        "330102": ("county", "上城区", "330100"),
        "110101": ("county", "东城区", "110000"),
    }
    # A new ancestor stands at the mean of its children: 丽水 of its two counties, 浙江 of its
    # two prefectures, 北京 of its one district.
    assert (by_code["331100"].latitude, by_code["331100"].longitude) == pytest.approx((27.8, 119.3))
    assert (by_code["330000"].latitude, by_code["330000"].longitude) == pytest.approx(
        ((27.8 + 30.2) / 2, (119.3 + 120.2) / 2)
    )
    assert (by_code["110000"].latitude, by_code["110000"].longitude) == pytest.approx((39.9, 116.4))
    for area in by_code.values():
        area.full_clean()  # every area now passes the new rules


@pytest.mark.usefixtures("roots_allowed")
def test_migration_reversed_leaves_the_counties_as_roots_again() -> None:
    _bare_county("331127", "景宁畲族自治县", 28.0, 119.6).save()
    _migration.counties_join_their_ancestors(apps, None)
    _migration.counties_leave_their_ancestors(apps, None)
    assert list(Area.objects.values_list("code", "parent")) == [("331127", None)]


@pytest.mark.django_db
def test_an_existing_ancestor_is_used_as_it_is(personas: object) -> None:
    lishui = Area.objects.get(code="331100")
    lishui.latitude, lishui.longitude = 28.45, 119.92  # set by an administrator
    lishui.save()
    parents = county_parents_ensure(Area, [("331121", 28.1, 119.2)])  # 青田县
    assert parents == {"331121": lishui}
    lishui.refresh_from_db()
    assert (lishui.latitude, lishui.longitude) == (28.45, 119.92)
    assert Area.objects.filter(level__in=["province", "prefecture"]).count() == 2
