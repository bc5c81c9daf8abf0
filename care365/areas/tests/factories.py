from __future__ import annotations

from typing import Any

import factory

from care365.areas.ancestors import county_parents_ensure
from care365.areas.models import Area


def _county_code(n: int) -> str:
    # 3311 01..99, then 3312 01..99, ...: a county's code never ends in 00 (a prefecture's does).
    return f"{3311 + n // 99:04d}{n % 99 + 1:02d}"


class CountyFactory(factory.django.DjangoModelFactory[Area]):
    """A county under its GB/T 2260 prefecture and province, created with it when missing
    (景宁 331127 and 庆元 331126 both under 丽水市 331100, 浙江省 330000)."""

    class Meta:
        model = Area
        django_get_or_create = ("code",)

    level = Area.Level.COUNTY
    code = factory.Sequence(_county_code)
    name = factory.Sequence(lambda n: f"县{n}")
    parent = factory.LazyAttribute(
        lambda o: county_parents_ensure(Area, [(o.code, o.latitude, o.longitude)])[o.code]
    )
    latitude = 27.97
    longitude = 119.63


class TownshipFactory(factory.django.DjangoModelFactory[Area]):
    class Meta:
        model = Area

    level = Area.Level.TOWNSHIP
    parent = factory.SubFactory(CountyFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.parent.code}{100 + n % 900:03d}")
    name = factory.Sequence(lambda n: f"乡镇{n}")
    latitude = factory.LazyAttribute(lambda o: o.parent.latitude + 0.05)
    longitude = factory.LazyAttribute(lambda o: o.parent.longitude + 0.05)


class VillageFactory(factory.django.DjangoModelFactory[Area]):
    class Meta:
        model = Area

    level = Area.Level.VILLAGE
    parent = factory.SubFactory(TownshipFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.parent.code}{200 + n % 800:03d}")
    name = factory.Sequence(lambda n: f"村{n}")
    latitude = factory.LazyAttribute(lambda o: o.parent.latitude + 0.01)
    longitude = factory.LazyAttribute(lambda o: o.parent.longitude + 0.01)

    @classmethod
    def _create(cls, model_class: type[Area], *args: Any, **kwargs: Any) -> Area:
        return super()._create(model_class, *args, **kwargs)  # type: ignore[no-any-return]
