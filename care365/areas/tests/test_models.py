from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from care365.areas.models import Area
from care365.areas.selectors import area_village_ids
from conftest import Personas

pytestmark = pytest.mark.django_db


def test_village_code_must_extend_its_townships(personas: Personas) -> None:
    village = Area(
        level=Area.Level.VILLAGE,
        code="331126999201",
        name="错村",
        parent=personas.township_a,
        latitude=27.9,
        longitude=119.6,
    )
    with pytest.raises(ValidationError) as info:
        village.full_clean()
    assert "code" in info.value.message_dict


def test_a_village_cannot_hang_under_a_county(personas: Personas) -> None:
    village = Area(
        level=Area.Level.VILLAGE,
        code="331127000201",
        name="错村",
        parent=personas.county,
        latitude=27.9,
        longitude=119.6,
    )
    with pytest.raises(ValidationError) as info:
        village.full_clean()
    assert "parent" in info.value.message_dict


def test_village_ids_of_each_level(personas: Personas) -> None:
    assert area_village_ids(personas.village_a) == [personas.village_a.pk]
    assert area_village_ids(personas.township_a) == [personas.village_a.pk]
    assert set(area_village_ids(personas.county)) == {
        personas.village_a.pk,
        personas.village_b.pk,
    }


def _area(level: str, code: str, parent: Area | None) -> Area:
    return Area(level=level, code=code, name="某地", parent=parent, latitude=28.0, longitude=120.0)


def _errors(area: Area) -> dict[str, list[str]]:
    try:
        area.full_clean(exclude=["code"] if Area.objects.filter(code=area.code).exists() else None)
    except ValidationError as exc:
        return exc.message_dict
    return {}


def test_a_province_is_a_root_with_a_code_ending_0000(personas: Personas) -> None:
    assert _errors(_area("province", "320000", None)) == {}
    assert "parent" in _errors(_area("province", "320000", personas.province))
    assert "code" in _errors(_area("province", "321000", None))
    assert "code" in _errors(_area("province", "32000000", None))


def test_a_prefecture_sits_under_its_province(personas: Personas) -> None:
    assert _errors(_area("prefecture", "331000", personas.province)) == {}  # 台州市
    assert "code" in _errors(_area("prefecture", "331010", personas.province))  # not xxxx00
    assert "code" in _errors(_area("prefecture", "320100", personas.province))  # 江苏's
    assert "parent" in _errors(_area("prefecture", "331000", None))
    assert "parent" in _errors(_area("prefecture", "331000", personas.prefecture))


def test_a_county_sits_under_its_prefecture(personas: Personas) -> None:
    assert _errors(_area("county", "331121", personas.prefecture)) == {}
    assert "code" in _errors(_area("county", "331200", personas.prefecture))  # a prefecture's
    assert "code" in _errors(_area("county", "331021", personas.prefecture))  # 台州's county
    assert "parent" in _errors(_area("county", "331121", None))
    assert "parent" in _errors(_area("county", "331121", personas.county))


def test_a_county_sits_under_its_province_only_where_it_has_no_prefecture(
    personas: Personas,
) -> None:
    # GB/T 2260 has 丽水市 for 331121: directly under the province is refused and named.
    with translation.override("en"):
        errors = _errors(_area("county", "331121", personas.province))
    assert errors["parent"] == ["This county lies in the prefecture 丽水市 (331100): put it there."]
    beijing = Area.objects.create(
        level="province", code="110000", name="北京市", latitude=39.9, longitude=116.4
    )
    assert _errors(_area("county", "110101", beijing)) == {}  # 东城区: no prefecture above it


def test_townships_and_villages_keep_their_rules(personas: Personas) -> None:
    assert _errors(_area("township", "331127103", personas.county)) == {}
    assert "parent" in _errors(_area("township", "331127103", personas.prefecture))
    assert "code" in _errors(_area("township", "331126103", personas.county))
    assert _errors(_area("village", "331127101299", personas.township_a)) == {}


def test_the_database_refuses_a_second_root(personas: Personas) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Area.objects.create(level="county", code="331121", name="青田县", latitude=1, longitude=1)


def test_code_prefix_covers_the_subtree(personas: Personas) -> None:
    assert (personas.province.code_prefix, personas.prefecture.code_prefix) == ("33", "3311")
    assert personas.county.code_prefix == "331127"
    below = Area.objects.filter(code__startswith=personas.prefecture.code_prefix)
    assert {personas.county, personas.other_county, personas.village_a} <= set(below)
