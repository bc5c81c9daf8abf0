from __future__ import annotations

from typing import Any

import factory

from care365.areas.models import Area


class CountyFactory(factory.django.DjangoModelFactory[Area]):
    class Meta:
        model = Area
        django_get_or_create = ("code",)

    level = Area.Level.COUNTY
    code = factory.Sequence(lambda n: f"{331100 + n:06d}")
    name = factory.Sequence(lambda n: f"县{n}")
    parent = None
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
