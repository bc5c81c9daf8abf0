from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import factory
from django.utils import timezone

from care365.accounts.models import Role, User
from care365.accounts.tests.factories import UserFactory
from care365.areas.models import Area
from care365.areas.tests.factories import CountyFactory, TownshipFactory, VillageFactory
from care365.carers.models import Carer, CarerRole
from care365.carers.tests.factories import CarerFactory
from care365.pairing.models import Pairing
from care365.registry.hooks import children_changed_now
from care365.registry.models import Child, Consent, ConsentPurpose
from care365.registry.tests.factories import ChildFactory

POLICE, DOCTOR, VOLUNTEER = CarerRole.POLICE, CarerRole.DOCTOR, CarerRole.VOLUNTEER


class PairingFactory(factory.django.DjangoModelFactory[Pairing]):
    """An open pairing; the carer's role is the pairing's role."""

    class Meta:
        model = Pairing

    child = factory.SubFactory(ChildFactory)
    role = "police"
    carer = factory.SubFactory(CarerFactory, role=factory.SelfAttribute("..role"))
    since = date(2025, 9, 1)

    @classmethod
    def _create(cls, model_class: type[Pairing], *args: Any, **kwargs: Any) -> Pairing:
        pairing: Pairing = super()._create(model_class, *args, **kwargs)
        children_changed_now([pairing.child_id])  # as the pairing services do
        return pairing


def volunteer_consent(child: Child, *, given_on: date = date(2025, 3, 1)) -> Consent:
    """The guardian's open consent to a volunteer."""
    consent = Consent.objects.create(
        child=child, purpose=ConsentPurpose.VOLUNTEER, given_on=given_on
    )
    children_changed_now([child.pk])  # as `consent_record` does
    return consent


@dataclass
class County:
    county: Area
    t1: Area
    t2: Area
    v1: Area
    v2: Area
    v3: Area
    admin: User
    p0: Carer
    p1: Carer
    d1: Carer
    w1: Carer
    c1: Child
    c2: Child
    c3: Child
    c4: Child

    def user(self, carer: Carer) -> User:
        return User.objects.get(carer=carer)


def carer(
    role: str, township: Area, *, at: Area | tuple[float, float], capacity: int, **fields: object
) -> Carer:
    """A carer of the township's organisation working at a village (or a point)."""
    lat, lon = (at.latitude, at.longitude) if isinstance(at, Area) else at
    today = timezone.localdate()
    if role == VOLUNTEER:
        fields.setdefault("background_checked_on", today - timedelta(days=200))
        fields.setdefault("trained_on", today - timedelta(days=180))
    return CarerFactory.create(
        role=role,
        organisation__area=township,
        latitude=lat,
        longitude=lon,
        capacity=capacity,
        **fields,
    )


def small_county() -> County:
    """A county small enough to know every answer:

        township T1: village V1 (28.00, 120.00) and V2 (28.01, 120.00), 1.1 km apart
        township T2: village V3 (28.50, 120.00), 55 km from V1
        police P1 at V1 (capacity 10); police P0 inactive
        doctor D1 at V1 (capacity 1); volunteer W1 at V1 (capacity 5, vetted and trained)
        children c1, c2 in V1, c3 in V2, c4 in V3; every child but c3 has a volunteer consent
        today: c1 is paired with P0 (police) and D1 (doctor)

    Each carer has a login named after them (p0, p1, d1, w1); the county admin is county_admin.
    """
    county = CountyFactory.create(code="331199", latitude=28.0, longitude=120.0)
    t1 = TownshipFactory.create(parent=county, code="331199101", latitude=28.0, longitude=120.0)
    t2 = TownshipFactory.create(parent=county, code="331199102", latitude=28.5, longitude=120.0)
    v1 = VillageFactory.create(parent=t1, code="331199101201", latitude=28.0, longitude=120.0)
    v2 = VillageFactory.create(parent=t1, code="331199101202", latitude=28.01, longitude=120.0)
    v3 = VillageFactory.create(parent=t2, code="331199102201", latitude=28.5, longitude=120.0)
    p0 = carer(POLICE, t1, at=v1, capacity=10, active=False)
    p1 = carer(POLICE, t1, at=v1, capacity=10)
    d1 = carer(DOCTOR, t1, at=v1, capacity=1)
    w1 = carer(VOLUNTEER, t1, at=v1, capacity=5)
    for name, each in (("p0", p0), ("p1", p1), ("d1", d1), ("w1", w1)):
        UserFactory.create(username=name, role=each.role, carer=each)
    c1, c2 = ChildFactory.create_batch(2, village=v1)
    c3 = ChildFactory.create(village=v2)
    c4 = ChildFactory.create(village=v3)
    for child in (c1, c2, c4):
        volunteer_consent(child)
    PairingFactory.create(child=c1, role=POLICE, carer=p0)
    PairingFactory.create(child=c1, role=DOCTOR, carer=d1)
    admin = UserFactory.create(username="county_admin", role=Role.COUNTY_ADMIN, area=county)
    return County(county, t1, t2, v1, v2, v3, admin, p0, p1, d1, w1, c1, c2, c3, c4)
