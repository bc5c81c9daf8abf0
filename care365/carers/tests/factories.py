from __future__ import annotations

from datetime import date

import factory

from care365.areas.tests.factories import TownshipFactory
from care365.carers.models import BackgroundCheck, Carer, CarerRole, Organisation


class OrganisationFactory(factory.django.DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    kind = Organisation.Kind.POLICE_STATION
    name = factory.Sequence(lambda n: f"派出所{n}")
    area = factory.SubFactory(TownshipFactory)


class CarerFactory(factory.django.DjangoModelFactory[Carer]):
    class Meta:
        model = Carer

    role = CarerRole.POLICE
    name = factory.Sequence(lambda n: f"李警官{n}")
    sex = "M"
    organisation = factory.SubFactory(
        OrganisationFactory,
        kind=factory.LazyAttribute(
            lambda o: {
                CarerRole.POLICE: Organisation.Kind.POLICE_STATION,
                CarerRole.DOCTOR: Organisation.Kind.HEALTH_CENTRE,
                CarerRole.VOLUNTEER: Organisation.Kind.VOLUNTEER_GROUP,
            }[o.factory_parent.role]
        ),
    )
    latitude = 27.97
    longitude = 119.63
    capacity = 30
    background_check = factory.LazyAttribute(
        lambda o: BackgroundCheck.PASSED if o.role == CarerRole.VOLUNTEER else ""
    )
    background_checked_on = factory.LazyAttribute(
        lambda o: date(2026, 1, 10) if o.role == CarerRole.VOLUNTEER else None
    )
    trained_on = factory.LazyAttribute(
        lambda o: date(2026, 2, 1) if o.role == CarerRole.VOLUNTEER else None
    )
