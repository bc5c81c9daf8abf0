"""Child.open_statuses, the copy of the kinds of a child's open statuses: every service that writes
statuses keeps it right, in bulk as well, and the migration fills it from the statuses."""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from care365.registry import services
from care365.registry.models import (
    STATUS_BIT,
    Child,
    ChildStatus,
    StatusEndReason,
    StatusKind,
    status_bits,
    status_bits_with,
)
from care365.registry.services import ChildInput, statuses
from care365.registry.tests.factories import ChildFactory, LeftBehindChildFactory, status_open
from care365.registry.tests.helpers import open_statuses_drift
from conftest import Personas

pytestmark = pytest.mark.django_db

LEFT = StatusKind.LEFT_BEHIND
POVERTY = StatusKind.DIFFICULTY_POVERTY
GUARDIANSHIP = StatusKind.DIFFICULTY_GUARDIANSHIP
UNSUPPORTED = StatusKind.UNSUPPORTED


def stored_kinds(child: Child) -> list[StatusKind]:
    return Child.objects.get(pk=child.pk).open_status_kinds


def child_updates(ctx: CaptureQueriesContext) -> list[str]:
    sql = [q["sql"] for q in ctx.captured_queries]
    return [q for q in sql if q.startswith('UPDATE "registry_child" ')]


def test_every_kind_has_a_bit_of_its_own() -> None:
    assert set(STATUS_BIT) == set(StatusKind.values)
    bits = list(STATUS_BIT.values())
    assert len(set(bits)) == len(bits)
    assert all(bit > 0 and bit & (bit - 1) == 0 for bit in bits)
    assert sum(bits) <= 32767  # a small integer on every database


def test_the_values_of_a_kind_are_every_combination_holding_its_bit() -> None:
    for kind, bit in STATUS_BIT.items():
        values = status_bits_with(kind)
        assert len(values) == 2 ** (len(STATUS_BIT) - 1)
        assert all(value & bit for value in values)
        assert bit in values and status_bits(STATUS_BIT) in values


def test_open_status_kinds_reads_the_copy_in_the_order_of_the_kinds() -> None:
    child = Child(open_statuses=status_bits([UNSUPPORTED, LEFT, POVERTY]))
    assert child.open_status_kinds == [LEFT, POVERTY, UNSUPPORTED]
    assert Child().open_status_kinds == []


def test_registering_a_child_sets_the_kinds_of_its_statuses(personas: Personas) -> None:
    data = ChildInput(
        child={"name": "陈小梅", "sex": "F", "birth_date": date(2016, 5, 20)}
        | {"village": personas.village_a},
        statuses=[POVERTY, LEFT],
    )
    child = services.child_register(actor=personas.director_a, data=data)
    assert child.open_status_kinds == [LEFT, POVERTY]
    assert stored_kinds(child) == [LEFT, POVERTY]
    bare = services.child_register(
        actor=personas.director_a,
        data=ChildInput(child={**data.child, "name": "陈小兰"}),
    )
    assert stored_kinds(bare) == []


def test_adding_and_ending_statuses_keeps_the_copy(personas: Personas) -> None:
    child = personas.child_a
    assert stored_kinds(child) == [LEFT]
    services.status_add(actor=personas.director_a, child=child, kind=POVERTY)
    assert child.open_status_kinds == [LEFT, POVERTY]  # the caller's instance too
    assert stored_kinds(child) == [LEFT, POVERTY]
    left = ChildStatus.objects.get(child=child, kind=LEFT)
    services.status_end(actor=personas.director_a, status=left, reason=StatusEndReason.REASSESSED)
    assert stored_kinds(child) == [POVERTY]
    services.status_add(actor=personas.director_a, child=child, kind=LEFT)  # opened again
    assert stored_kinds(child) == [LEFT, POVERTY]
    for status in ChildStatus.objects.filter(child=child, ended_on__isnull=True):
        services.status_end(
            actor=personas.director_a, status=status, reason=StatusEndReason.REASSESSED
        )
    assert stored_kinds(child) == []
    assert not open_statuses_drift()


def test_leaving_the_registry_clears_the_copy(personas: Personas) -> None:
    child = personas.child_a
    services.status_add(actor=personas.director_a, child=child, kind=POVERTY)
    exited = services.child_exit(actor=personas.director_a, child=child, reason="moved_away")
    assert exited.open_status_kinds == []
    assert stored_kinds(child) == []
    assert stored_kinds(personas.child_b) == [LEFT]  # nobody else's
    assert not open_statuses_drift()


def test_a_parents_return_takes_left_behind_out_of_the_copy(personas: Personas) -> None:
    child = personas.child_a
    services.status_add(actor=personas.director_a, child=child, kind=POVERTY)
    services.parent_return(actor=personas.director_a, child=child, role="father")
    assert child.open_status_kinds == [POVERTY]
    assert stored_kinds(child) == [POVERTY]
    assert stored_kinds(personas.child_b) == [LEFT]
    assert not open_statuses_drift()


def test_ageing_out_takes_each_kind_out_on_its_birthday(personas: Personas) -> None:
    child = LeftBehindChildFactory.create(village=personas.village_a, birth_date=date(2010, 3, 1))
    status_open(child, POVERTY, started_on=date(2020, 1, 1))
    assert stored_kinds(child) == [LEFT, POVERTY]
    services.statuses_age_out(today=date(2026, 3, 2))
    assert stored_kinds(child) == [POVERTY]
    services.statuses_age_out(today=date(2028, 3, 1))
    assert stored_kinds(child) == []
    assert not open_statuses_drift()


def test_ageing_out_many_children_syncs_them_once_in_chunks(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statuses, "SYNC_CHUNK", 3)
    turned_16 = LeftBehindChildFactory.create_batch(
        7, village=personas.village_a, birth_date=date(2010, 1, 1)
    )
    for child in turned_16[:2]:  # two kinds ending on different days: one sync each
        status_open(child, UNSUPPORTED, started_on=date(2020, 1, 1))
    young = LeftBehindChildFactory.create(village=personas.village_a, birth_date=date(2012, 1, 1))
    with CaptureQueriesContext(connection) as ctx:
        assert services.statuses_age_out(today=date(2026, 6, 1)) == 7
    assert len(child_updates(ctx)) == 3  # ceil(7 / 3) chunks, not one per child or status
    assert not open_statuses_drift()
    assert {tuple(stored_kinds(c)) for c in turned_16} == {(), (UNSUPPORTED,)}
    assert stored_kinds(young) == [LEFT]
    with CaptureQueriesContext(connection) as ctx:
        assert services.statuses_age_out(today=date(2026, 6, 1)) == 0
    assert child_updates(ctx) == []  # nothing ended, nothing to sync


def test_sync_recomputes_the_copy_from_the_open_statuses(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statuses, "SYNC_CHUNK", 2)
    children = ChildFactory.create_batch(5, village=personas.village_a)
    ChildStatus.objects.create(child=children[0], kind=LEFT, started_on=date(2024, 1, 1))
    ChildStatus.objects.create(child=children[0], kind=POVERTY, started_on=date(2024, 1, 1))
    ChildStatus.objects.create(
        child=children[1],
        kind=GUARDIANSHIP,
        started_on=date(2020, 1, 1),
        ended_on=date(2024, 1, 1),
        end_reason=StatusEndReason.REASSESSED,
    )
    ChildStatus.objects.create(child=children[4], kind=UNSUPPORTED, started_on=date(2024, 1, 1))
    Child.objects.update(open_statuses=status_bits(STATUS_BIT))  # a wrong copy everywhere
    with CaptureQueriesContext(connection) as ctx:
        services.open_statuses_sync([c.pk for c in reversed(children)] + [children[0].pk])
    assert len(ctx.captured_queries) == 3 * 2  # three chunks: lock, then update
    assert [stored_kinds(c) for c in children] == [[LEFT, POVERTY], [], [], [], [UNSUPPORTED]]
    others = {personas.child_a.pk, personas.child_b.pk, personas.child_other.pk}
    assert set(open_statuses_drift()) == others  # only the children asked for were synced
    services.open_statuses_sync([])
    services.open_statuses_sync(others)
    assert not open_statuses_drift()


def test_the_migration_fills_the_copy_from_the_open_statuses(personas: Personas) -> None:
    migration = importlib.import_module("care365.registry.migrations.0005_child_open_statuses")
    assert {str(kind): bit for kind, bit in STATUS_BIT.items()} == migration.STATUS_BIT
    several = personas.child_a
    ChildStatus.objects.create(child=several, kind=POVERTY, started_on=date(2024, 1, 1))
    ChildStatus.objects.create(
        child=several,
        kind=GUARDIANSHIP,
        started_on=date(2020, 1, 1),
        ended_on=date(2024, 1, 1),
        end_reason=StatusEndReason.REASSESSED,
    )
    ChildStatus.objects.filter(child=personas.child_b).update(
        ended_on=date(2025, 1, 1), end_reason=StatusEndReason.PARENT_RETURNED
    )
    none = ChildFactory.create(village=personas.village_a)
    Child.objects.update(open_statuses=0)  # as the new column starts
    Child.objects.filter(pk=none.pk).update(open_statuses=7)  # and a wrong copy
    migration.fill_open_statuses(Child, ChildStatus)
    assert not open_statuses_drift()
    assert stored_kinds(several) == [LEFT, POVERTY]
    assert stored_kinds(personas.child_b) == []
    assert stored_kinds(none) == []
    migration.fill_open_statuses(Child, ChildStatus)  # again: the same
    assert not open_statuses_drift()
