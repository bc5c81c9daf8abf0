"""The children list's status filter reads the child's copy of its open statuses' kinds."""

from __future__ import annotations

from datetime import date

import pytest

from care365.accounts.selectors import ChildFilters, child_list, rows_slice
from care365.registry import services
from care365.registry.models import ChildStatus, StatusEndReason, StatusKind
from care365.registry.tests.factories import ChildFactory, LeftBehindChildFactory, status_open
from conftest import Personas

pytestmark = pytest.mark.django_db


def test_the_list_filters_by_each_open_status_without_reading_statuses(personas: Personas) -> None:
    p = personas
    poor = ChildFactory.create(village=p.village_b, sex="M")
    status_open(poor, StatusKind.DIFFICULTY_POVERTY)
    several = LeftBehindChildFactory.create(village=p.village_a, sex="F")
    status_open(several, StatusKind.UNSUPPORTED)
    ended = ChildFactory.create(village=p.village_a)
    ChildStatus.objects.create(
        child=ended,
        kind=StatusKind.DIFFICULTY_GUARDIANSHIP,
        started_on=date(2020, 1, 1),
        ended_on=date(2024, 1, 1),
        end_reason=StatusEndReason.REASSESSED,
    )
    services.open_statuses_sync([ended.pk])
    outside = LeftBehindChildFactory.create(village=p.other_village)
    status_open(outside, StatusKind.DIFFICULTY_POVERTY)

    def ids(**filters: object) -> set[int]:
        children = child_list(p.admin, ChildFilters(**filters))  # type: ignore[arg-type]
        return set(children.values_list("pk", flat=True))

    filtered = child_list(p.admin, ChildFilters(status=StatusKind.UNSUPPORTED))
    assert "registry_childstatus" not in str(filtered.query)

    assert ids() == {p.child_a.pk, p.child_b.pk, poor.pk, several.pk, ended.pk}
    assert ids(status=StatusKind.LEFT_BEHIND) == {p.child_a.pk, p.child_b.pk, several.pk}
    assert ids(status=StatusKind.DIFFICULTY_POVERTY) == {poor.pk}
    assert ids(status=StatusKind.UNSUPPORTED) == {several.pk}
    assert ids(status=StatusKind.DIFFICULTY_GUARDIANSHIP) == set()  # it ended
    assert ids(status=StatusKind.DIFFICULTY_DISABILITY) == set()
    assert ids(status="no_such_kind") == set()
    assert ids(status=StatusKind.LEFT_BEHIND, sex="F") == {p.child_a.pk, several.pk}
    assert ids(status=StatusKind.LEFT_BEHIND, area=p.village_b.pk) == {p.child_b.pk}

    services.child_exit(actor=p.director_b, child=p.child_b, reason="moved_away")
    assert ids(status=StatusKind.LEFT_BEHIND) == {p.child_a.pk, several.pk}
    # An exited child's statuses ended with the exit: listing exited children does not bring
    # it back under a status.
    assert ids(status=StatusKind.LEFT_BEHIND, include_exited=True) == {p.child_a.pk, several.pk}
    assert p.child_b.pk in ids(include_exited=True)


def test_a_page_read_by_id_is_the_same_slice_of_the_list(personas: Personas) -> None:
    for n in range(7):
        ChildFactory.create(village=personas.village_a if n % 2 else personas.village_b)
    children = child_list(personas.admin, ChildFilters())
    assert children.count() == 9
    for start, stop in [(0, 4), (4, 8), (8, 12), (20, 25)]:
        assert rows_slice(children, start, stop) == list(children[start:stop])
    page = rows_slice(children, 0, 9)
    assert all(c.village.name for c in page)  # select_related kept
