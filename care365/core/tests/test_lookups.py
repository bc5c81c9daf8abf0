"""`__in` of many values goes as one array on PostgreSQL and finds the same rows everywhere."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from care365.areas.models import Area
from care365.areas.tests.factories import VillageFactory
from care365.core.lookups import ARRAY_FROM
from care365.registry.models import Child
from care365.registry.tests.factories import ChildFactory

T = TypeVar("T")


def _sql(queryset: Iterable[T]) -> tuple[list[T], str]:
    with CaptureQueriesContext(connection) as seen:
        found = list(queryset)
    return found, seen.captured_queries[-1]["sql"]


@pytest.mark.django_db
def test_a_long_list_finds_the_same_rows_as_a_short_one_and_goes_as_one_array_on_postgresql() -> (
    None
):
    village = VillageFactory.create()
    children = ChildFactory.create_batch(3, village=village)
    wanted = [children[0].pk, children[2].pk]
    missing = list(range(10_000_000, 10_000_000 + ARRAY_FROM))  # no such ids

    short, short_sql = _sql(Child.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    long, long_sql = _sql(
        Child.objects.filter(pk__in=[*missing, *wanted, None]).values_list("pk", flat=True)
    )

    assert sorted(short) == sorted(long) == sorted(wanted)
    assert " IN (" in short_sql
    if connection.vendor == "postgresql":
        assert "= ANY(" in long_sql and " IN (" not in long_sql
        assert long_sql.count(str(missing[0])) == 1
    else:
        assert " IN (" in long_sql


@pytest.mark.django_db
def test_a_relation_text_values_and_an_empty_list() -> None:
    village = VillageFactory.create()
    other = VillageFactory.create()
    ChildFactory.create(village=village)
    ChildFactory.create(village=other)
    villages = [village.pk, *range(20_000_000, 20_000_000 + ARRAY_FROM)]
    codes = [village.code, *(f"x{i}" for i in range(ARRAY_FROM)), 'it\'s, "quoted" {x}']

    by_relation, sql = _sql(Child.objects.filter(village__in=villages))
    by_text = list(Area.objects.filter(code__in=codes))

    assert [c.village_id for c in by_relation] == [village.pk]
    assert by_text == [village]
    assert list(Child.objects.filter(pk__in=[])) == []
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql
