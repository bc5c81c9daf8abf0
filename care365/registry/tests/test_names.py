"""Names as stored and compared (registry.names) and the registry's services applying them."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from care365.registry import names, services
from care365.registry.models import Child, DuplicateFlag, Guardian, Parent
from care365.registry.tests.factories import valid_id_number
from conftest import Personas

BORN = date(2017, 9, 1)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("张小花", "张小花"),
        ("  张小花  ", "张小花"),
        ("张\u200b小花", "张小花"),
        ("\ufeff张小花\u2060", "张小花"),
        ("张\u200c\u200d小花", "张小花"),
        ("欧阳\u3000\u3000小花", "欧阳 小花"),  # ideographic spaces
        ("阿依古丽·买买提", "阿依古丽·买买提"),  # the middle dot of minority names stays
        ("ＬＩ　Ｍｅｉ", "LI Mei"),  # full-width letters and space
        ("\u2f08\u5c0f\u82b1", "\u4eba\u5c0f\u82b1"),  # a Kangxi radical is its ideograph
        ("张\t小\n花", "张 小 花"),
        ("   ", ""),
        ("\u200b\u200b", ""),
        ("", ""),
    ],
)
def test_normalise(typed: str, stored: str) -> None:
    assert names.normalise(typed) == stored


@given(st.text(max_size=40))
def test_normalise_is_idempotent_and_leaves_nothing_invisible(text: str) -> None:
    once = names.normalise(text)
    assert names.normalise(once) == once
    assert not set(names.ZERO_WIDTH) & set(once)
    assert once == once.strip() and "  " not in once


def _register(personas: Personas, n: int, name: str, guardian: str = "王奶奶") -> Child:
    return services.child_register(
        actor=personas.director_a,
        data=services.ChildInput(
            child={
                "name": name,
                "sex": "F",
                "birth_date": BORN,
                "id_number": valid_id_number(BORN, "F", n),
                "village": personas.village_a,
            },
            parents={"father": {"name": " 王\u200b大山 ", "situation": "away"}},
            guardian={"name": guardian, "relationship": "grandmother"},
        ),
    )


def test_registration_saves_names_normalised_and_finds_the_duplicate(
    personas: Personas,
) -> None:
    first = _register(personas, 801, "王小雨")
    second = _register(personas, 802, "王小雨\u200b ", guardian=" 王奶奶\ufeff")

    assert second.name == "王小雨"
    assert Parent.objects.get(child=second).name == "王大山"
    assert Guardian.objects.get(child=second).name == "王奶奶"
    assert DuplicateFlag.objects.filter(child=second, other=first).exists()


def test_a_blank_name_is_refused_and_nothing_is_written(personas: Personas) -> None:
    before = Child.objects.count()
    with pytest.raises(ValidationError) as refused:
        _register(personas, 803, "\u3000 \u200b")
    assert set(refused.value.message_dict) == {"name"}
    with pytest.raises(ValidationError) as no_guardian:
        _register(personas, 804, "王小雪", guardian="\u2060")
    assert set(no_guardian.value.message_dict) == {"guardian_name"}
    assert Child.objects.count() == before


def test_the_data_migration_normalises_names_on_record(personas: Personas) -> None:
    """The migration's own function, run over rows written before names were normalised."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("care365.registry.migrations.0008_normalise_names")
    child = personas.child_a
    Child.objects.filter(pk=child.pk).update(name=" 张\u200b小花 ")
    Guardian.objects.filter(child=child).update(name="王奶奶\u3000")
    Child.objects.filter(pk=personas.child_b.pk).update(name="\u200b")  # left for a person
    anonymised = personas.child_other
    Child.objects.filter(pk=anonymised.pk).update(
        name=services.ANONYMOUS_NAME, anonymised_on=date(2026, 1, 1)
    )

    migration.normalise_names(apps, None)

    assert Child.objects.get(pk=child.pk).name == "张小花"
    assert Guardian.objects.get(child=child).name == "王奶奶"
    assert Child.objects.get(pk=personas.child_b.pk).name == "\u200b"
    assert Child.objects.get(pk=anonymised.pk).name == services.ANONYMOUS_NAME
