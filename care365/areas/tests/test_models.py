from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

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
