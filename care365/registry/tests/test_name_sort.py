"""Children lists come out in the order of the names' pinyin (Child.name_sort), not in the order
of the characters' code points, for the roles that may sort by name."""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from django.apps import apps
from django.test import Client

from care365.accounts.selectors import ChildFilters, child_list
from care365.care.tests.factories import consent, pair
from care365.registry import idnumber, names, services
from care365.registry.models import Child, ConsentPurpose, ExitReason, StatusKind
from care365.registry.services import ChildInput
from care365.registry.tests.factories import ChildFactory
from conftest import Personas

pytestmark = pytest.mark.django_db

BORN = date(2016, 4, 2)


def test_the_sort_key_is_the_pinyin_with_tones_and_surnames_read_as_surnames() -> None:
    assert names.sort_key("严明") == "yan2 ming2"
    assert names.sort_key("任飞") == "ren4 fei1"
    assert names.sort_key(" 艾\u200b米 ") == "ai4 mi3"  # as normalised before it is stored
    assert names.sort_key("单雄信") == "shan4 xiong2 xin4"  # not dan1: a surname
    assert names.sort_key("曾小雨") == "zeng1 xiao3 yu3"
    assert names.sort_key("尉迟恭") == "yu4 chi2 gong1"
    assert names.sort_key("买买提·艾力") == "mai3 mai3 ti2 · ai4 li4"
    assert names.sort_key("Anna") == "anna"
    # Syllable, then tone, character after character: 黎 (li2) before 李 (li3) before 林 (lin2).
    ordered = ["艾米", "黎华", "李明", "李明亮", "林涛", "任飞", "严明", "张三"]
    assert sorted(ordered, key=names.sort_key) == ordered
    assert sorted(ordered) != ordered  # by code point 严 comes before 任


def _register(personas: Personas, name: str, n: int) -> Child:
    data = ChildInput(
        child={
            "name": name,
            "sex": "F",
            "birth_date": BORN,
            "id_number": idnumber.make("331127", BORN, 2 * n),
            "village": personas.village_a,
        },
        statuses=[StatusKind.LEFT_BEHIND],
    )
    return services.child_register(actor=personas.director_a, data=data)


def test_the_services_keep_the_sort_key_whenever_they_write_the_name(personas: Personas) -> None:
    child = _register(personas, "  严　明 ", 1)
    child.refresh_from_db()
    assert (child.name, child.name_sort) == ("严 明", "yan2 ming2")
    services.child_update(actor=personas.director_a, child=child, values={"name": "任飞"})
    child.refresh_from_db()
    assert child.name_sort == "ren4 fei1"
    services.child_update(actor=personas.director_a, child=child, values={"school": "中心小学"})
    child.refresh_from_db()
    assert child.name_sort == "ren4 fei1"
    services.child_exit(actor=personas.director_a, child=child, reason=ExitReason.MOVED_AWAY)
    child.refresh_from_db()
    services.child_anonymise(actor=None, child=child)
    child.refresh_from_db()
    assert child.name_sort == names.sort_key(child.name) != "ren4 fei1"


def test_the_list_sorts_by_pinyin_for_roles_that_see_names(personas: Personas) -> None:
    p = personas
    for n, name in enumerate(["严明", "任飞", "艾米", "张三"], start=1):
        _register(p, name, n)
    listed = list(child_list(p.director_a, ChildFilters()).values_list("name", flat=True))
    assert listed == ["艾米", "任飞", "严明", "张三", "张小花"]
    client = Client()
    client.force_login(p.director_a)
    html = client.get("/children/").content.decode()
    positions = [html.index(name) for name in ("艾米", "任飞", "严明", "张三", "张小花")]
    assert positions == sorted(positions)


def test_a_volunteer_s_list_keeps_its_order_by_record(personas: Personas) -> None:
    """A volunteer sees given names only: an order by the full name would tell the order of
    surnames they are never shown (accounts.visibility LIST_PARAMS "sort_name")."""
    p = personas
    children = [
        ChildFactory.create(village=p.village_a, name=name) for name in ("张明", "艾华", "任杰")
    ]
    for child in children:
        consent(child, ConsentPurpose.VOLUNTEER)
        pair(child, p.volunteer)
    listed = list(child_list(p.volunteer, ChildFilters()).values_list("pk", flat=True))
    assert listed == sorted(c.pk for c in children)


def test_the_migration_fills_the_key_of_the_children_on_record(personas: Personas) -> None:
    ChildFactory.create(village=personas.village_a, name="严明")
    Child.objects.update(name_sort="")
    migration = importlib.import_module("care365.registry.migrations.0010_child_name_sort")
    migration.fill_name_sort(apps, None)
    assert {(c.name, c.name_sort) for c in Child.objects.all()} == {
        ("严明", "yan2 ming2"),
        ("张小花", "zhang1 xiao3 hua1"),
        ("李小龙", "li3 xiao3 long2"),
        (personas.child_other.name, names.sort_key(personas.child_other.name)),
    }
