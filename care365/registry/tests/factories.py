from __future__ import annotations

from datetime import date
from typing import Any

import factory

from care365.areas.tests.factories import VillageFactory
from care365.core import crypto
from care365.registry import idnumber, names, services
from care365.registry.hooks import children_changed_now
from care365.registry.models import (
    Child,
    ChildStatus,
    Guardian,
    GuardianRelationship,
    Parent,
    ParentRole,
    ParentSituation,
    StatusKind,
)

# Real division codes (GB/T 2260): an ID number with a code that never existed is refused.
_REGIONS = ("331127", "331126", "331121", "331122", "331123", "331124", "331125", "331181")


def valid_id_number(birth_date: date, sex: str, n: int) -> str:
    """A valid number for this birth date and sex; n makes it unique."""
    sequence = (n * 2) % 1000 + (1 if sex == "M" else 0)
    region = _REGIONS[(n // 500) % len(_REGIONS)]
    return idnumber.make(region, birth_date, sequence % 1000)


def status_open(child: Child, kind: str, *, started_on: date = date(2024, 1, 1)) -> ChildStatus:
    """Insert an open status as test data, keeping the child's copy of its open statuses right
    (as the registry's services do); for a status that ended, create it and call
    services.open_statuses_sync the same way."""
    status = ChildStatus.objects.create(child=child, kind=kind, started_on=started_on)
    services.open_statuses_sync([child.pk])
    child.refresh_from_db(fields=["open_statuses"])
    return status


class ChildFactory(factory.django.DjangoModelFactory[Child]):
    class Meta:
        model = Child

    name = factory.Sequence(lambda n: f"王{'小明晓红子涵雨轩'[n % 8]}{n}")
    sex = factory.Iterator(["M", "F"])
    birth_date = date(2015, 3, 14)
    village = factory.SubFactory(VillageFactory)
    address = factory.Sequence(lambda n: f"{n}号")
    school = "中心小学"
    grade = "p4"
    interests = factory.LazyFunction(lambda: ["music"])
    id_number = factory.LazyAttributeSequence(lambda o, n: valid_id_number(o.birth_date, o.sex, n))

    @classmethod
    def _create(cls, model_class: type[Child], *args: Any, **kwargs: Any) -> Child:
        number = kwargs.get("id_number") or ""
        kwargs.setdefault("id_number_hash", crypto.lookup_hash(number) if number else None)
        kwargs.setdefault("name_sort", names.sort_key(kwargs.get("name") or ""))
        child: Child = super()._create(model_class, *args, **kwargs)
        # As `child_register` does: whatever is derived from the child's records follows.
        children_changed_now([child.pk])
        return child


class LeftBehindChildFactory(ChildFactory):
    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def family(obj: Child, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if not create:
            return
        status_open(obj, StatusKind.LEFT_BEHIND, started_on=date(2024, 1, 1))
        for role in (ParentRole.FATHER, ParentRole.MOTHER):
            Parent.objects.create(
                child=obj,
                role=role,
                situation=ParentSituation.AWAY_FOR_WORK,
                work_place="杭州",
                away_since=date(2023, 2, 1),
                phone="13800000000",
            )
        Guardian.objects.create(
            child=obj,
            name="王奶奶",
            relationship=GuardianRelationship.GRANDMOTHER,
            phone="13900000000",
        )
        children_changed_now([obj.pk])  # the parents are away: their contact is planned
