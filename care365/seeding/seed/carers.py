"""The county's carers: a police station, a health centre (and some village clinics) and volunteer
groups in every township, sized to the children actually seeded there.

Capacity is enough for most children but not all, and unevenly: the county seat and the largest
town have grown faster than their police stations, health centres and volunteer groups, so they
are short, while the other townships have some room. Pairing meets real shortages.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection, transaction

from care365.areas.models import Area
from care365.carers.models import BackgroundCheck, Carer, CarerRole, Organisation
from care365.core import crypto
from care365.registry.models import Interest, Language
from care365.seeding.seed import names
from care365.seeding.seed.county import CountyPlan, TownshipPlan, offset
from care365.seeding.seed.writers import copy_rows, next_ids

# Capacity over children, per role: most townships have some room, the short ones have not.
ROOM = (1.05, 1.3)
SHORT = (0.3, 0.55)
# Children per carer when sizing a team (the capacity of one carer is drawn around it).
PER_CARER: dict[str, tuple[int, int]] = {
    CarerRole.POLICE: (30, 60),
    CarerRole.DOCTOR: (40, 90),
    CarerRole.VOLUNTEER: (3, 10),
}
MAX_CAPACITY = 500
SKILLS: dict[str, tuple[str, ...]] = {
    CarerRole.POLICE: ("safety", "first_aid", "anti_bullying", "traffic_safety"),
    CarerRole.DOCTOR: ("health_education", "nutrition", "psychology", "dental", "eye_care"),
    CarerRole.VOLUNTEER: (*Interest.values, "tutoring", "counselling"),
}
CARER_MEN: dict[str, float] = {
    CarerRole.POLICE: 0.8,
    CarerRole.DOCTOR: 0.5,
    CarerRole.VOLUNTEER: 0.35,
}


@dataclass(slots=True)
class CarerPlan:
    role: str
    name: str
    sex: str
    phone: str
    latitude: float
    longitude: float
    capacity: int
    skills: list[str]
    languages: list[str]
    service_areas: list[str]  # area codes
    background_check: str = ""
    background_checked_on: date | None = None
    trained_on: date | None = None

    @property
    def can_be_paired(self) -> bool:
        """Volunteers need a passed background check and training (DOMAIN.md: "vetted")."""
        if self.role != CarerRole.VOLUNTEER:
            return True
        return self.background_check == BackgroundCheck.PASSED and self.trained_on is not None


@dataclass(slots=True)
class OrganisationPlan:
    kind: str
    name: str
    area_code: str
    phone: str
    carers: list[CarerPlan] = field(default_factory=list)


def short_townships(plan: CountyPlan, children: Counter[int]) -> set[int]:
    """The county seat's subdistricts and the town with the most children."""
    towns = [t for t in plan.townships if t.kind == "town"]
    biggest = max(towns, key=lambda t: (children[t.index], -t.index))
    return {t.index for t in plan.townships if t.kind == "subdistrict"} | {biggest.index}


def split(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` split into `parts` positive integers of uneven size (each at most MAX_CAPACITY)."""
    parts = max(1, min(parts, total))
    weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    scale = total / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    i = 0
    while sum(sizes) < total:
        sizes[i % parts] += 1
        i += 1
    while sum(sizes) > total:
        j = max(range(parts), key=lambda k: sizes[k])
        sizes[j] -= 1
    return [min(s, MAX_CAPACITY) for s in sizes]


class CarerGenerator:
    def __init__(self, rng: random.Random, plan: CountyPlan, *, today: date) -> None:
        self.rng = rng
        self.plan = plan
        self.today = today

    def person(self, role: str) -> tuple[str, str]:
        rng = self.rng
        man = rng.random() < CARER_MEN[role]
        surname = rng.choice([s for s, _ in names.HAN_SURNAMES + names.SHE_SURNAMES])
        chars = names.MAN_CHARS if man else names.WOMAN_CHARS
        given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.6 else "")
        return surname + given, "M" if man else "F"

    def carer(
        self,
        role: str,
        base: tuple[float, float],
        capacity: int,
        service_areas: list[str],
        she_share: float,
    ) -> CarerPlan:
        rng = self.rng
        name, sex = self.person(role)
        lat, lon = offset(base[0], base[1], rng, 0.0, 1.5)
        languages: list[str] = [Language.MANDARIN]
        if rng.random() < min(0.9, 0.1 + 1.5 * she_share):
            languages.append(Language.SHE)
        if rng.random() < 0.6:
            languages.append(Language.WU)
        pool = SKILLS[role]
        skills = sorted(set(rng.sample(pool, k=rng.randint(1, min(3, len(pool))))))
        return CarerPlan(
            role=role,
            name=name,
            sex=sex,
            phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            latitude=lat,
            longitude=lon,
            capacity=capacity,
            skills=skills,
            languages=languages,
            service_areas=service_areas,
        )

    def team(self, role: str, target: int) -> list[int]:
        low, high = PER_CARER[role]
        wanted = max(1, round(target / self.rng.uniform(low, high)), -(-target // MAX_CAPACITY))
        return split(max(target, 1), wanted, self.rng)

    def township(self, town: TownshipPlan, children: int, short: bool) -> list[OrganisationPlan]:
        rng = self.rng
        villages = [v for v in self.plan.villages if v.township == town.index]
        she = sum(v.she_share for v in villages) / len(villages)
        everywhere = [town.code, *(v.code for v in villages)]
        base = (town.latitude, town.longitude)
        low, high = SHORT if short else ROOM
        target = {role: round(children * rng.uniform(low, high)) for role in CarerRole.values}
        duty = f"0578-5{rng.randrange(10**6):06d}"

        station = OrganisationPlan(
            Organisation.Kind.POLICE_STATION, f"{town.name}派出所", town.code, duty
        )
        station.carers = [
            self.carer(CarerRole.POLICE, base, c, everywhere, she)
            for c in self.team(CarerRole.POLICE, target[CarerRole.POLICE])
        ]

        organisations = [station]
        doctors_left = target[CarerRole.DOCTOR]
        for village in villages:
            if rng.random() < 0.3 and doctors_left > 1:
                capacity = min(doctors_left - 1, rng.randint(15, 40))
                clinic = OrganisationPlan(
                    Organisation.Kind.VILLAGE_CLINIC,
                    f"{village.name}卫生室",
                    village.code,
                    f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                )
                clinic.carers = [
                    self.carer(
                        CarerRole.DOCTOR,
                        (village.latitude, village.longitude),
                        capacity,
                        [village.code],
                        village.she_share,
                    )
                ]
                doctors_left -= capacity
                organisations.append(clinic)
        centre = OrganisationPlan(
            Organisation.Kind.HEALTH_CENTRE,
            f"{town.name}卫生院",
            town.code,
            f"0578-5{rng.randrange(10**6):06d}",
        )
        centre.carers = [
            self.carer(CarerRole.DOCTOR, base, c, everywhere, she)
            for c in self.team(CarerRole.DOCTOR, doctors_left)
        ]
        organisations.append(centre)

        capacities = self.team(CarerRole.VOLUNTEER, target[CarerRole.VOLUNTEER])
        group_count = min(len(capacities), rng.randint(1, 3))
        groups = [
            OrganisationPlan(
                Organisation.Kind.VOLUNTEER_GROUP,
                f"{town.name}{group}",
                town.code,
                f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            )
            for group in rng.sample(names.VOLUNTEER_GROUPS, group_count)
        ]
        # Vetted volunteers carry the capacity; about one in six more are not vetted or trained
        # yet and cannot be paired.
        unvetted = [rng.randint(2, 8) for _ in range(round(len(capacities) / 5))]
        for i, capacity in enumerate(capacities + unvetted):
            if rng.random() < 0.6:
                areas = everywhere
            else:
                areas = [
                    v.code for v in rng.sample(villages, min(len(villages), rng.randint(1, 3)))
                ]
            volunteer = self.carer(CarerRole.VOLUNTEER, base, capacity, areas, she)
            self.vet(volunteer, ready=i < len(capacities))
            groups[i % len(groups)].carers.append(volunteer)
        return [*organisations, *groups]

    def vet(self, volunteer: CarerPlan, *, ready: bool) -> None:
        rng = self.rng
        checked = self.today - timedelta(days=rng.randrange(30, 3 * 365))
        if ready:
            volunteer.background_check = BackgroundCheck.PASSED
            volunteer.background_checked_on = checked
            volunteer.trained_on = checked + timedelta(days=rng.randrange(7, 25))
            return
        state = rng.choices(("not_done", "pending", "failed", "untrained"), weights=(3, 3, 1, 3))[0]
        if state == "pending":
            volunteer.background_check = BackgroundCheck.PENDING
        elif state in ("failed", "untrained"):
            volunteer.background_check = (
                BackgroundCheck.FAILED if state == "failed" else BackgroundCheck.PASSED
            )
            volunteer.background_checked_on = checked

    def county(self, children: Counter[int]) -> list[OrganisationPlan]:
        """Organisations with their carers for every township; `children` counts per township."""
        short = short_townships(self.plan, children)
        organisations: list[OrganisationPlan] = []
        for town in self.plan.townships:
            organisations += self.township(town, children[town.index], town.index in short)
        return organisations


CARER_COLUMNS = (
    "id", "role", "name", "sex", "phone", "organisation", "latitude", "longitude", "capacity",
    "skills", "languages", "background_check", "background_checked_on", "trained_on", "active",
)  # fmt: skip


def _encrypted(value: str) -> str:
    """What EncryptedTextField stores, for COPY, which bypasses the model."""
    return crypto.encrypt(value) if value else ""


@transaction.atomic
def carers_write(organisations: list[OrganisationPlan], areas: dict[str, Area]) -> int:
    """Bulk-insert organisations, carers and their service areas; return the number of carers."""
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(kind=o.kind, name=o.name, area=areas[o.area_code], phone=o.phone)
            for o in organisations
        ],
        batch_size=2000,
    )
    plans = [(org, c) for org, o in zip(orgs, organisations, strict=True) for c in o.carers]
    if connection.vendor == "postgresql":
        ids = next_ids(Carer, len(plans))
        copy_rows(
            Carer,
            CARER_COLUMNS,
            (
                (
                    pk, c.role, c.name, c.sex, _encrypted(c.phone), org.pk, c.latitude,
                    c.longitude, c.capacity, json.dumps(c.skills), json.dumps(c.languages),
                    c.background_check, c.background_checked_on, c.trained_on, True,
                )
                for pk, (org, c) in zip(ids, plans, strict=True)
            ),
        )  # fmt: skip
    else:
        carers = Carer.objects.bulk_create(
            [
                Carer(
                    role=c.role,
                    name=c.name,
                    sex=c.sex,
                    phone=c.phone,
                    organisation=org,
                    latitude=c.latitude,
                    longitude=c.longitude,
                    capacity=c.capacity,
                    skills=c.skills,
                    languages=c.languages,
                    background_check=c.background_check,
                    background_checked_on=c.background_checked_on,
                    trained_on=c.trained_on,
                )
                for org, c in plans
            ],
            batch_size=2000,
        )
        ids = [carer.pk for carer in carers]
    through = Carer.service_areas.through
    links = (
        (pk, areas[code].pk)
        for pk, (_, plan) in zip(ids, plans, strict=True)
        for code in plan.service_areas
    )
    if connection.vendor == "postgresql":
        copy_rows(through, ("carer", "area"), links)
    else:
        through.objects.bulk_create(
            [through(carer_id=carer, area_id=area) for carer, area in links], batch_size=5000
        )
    return len(plans)
