"""The synthetic county's map: one county, about 20 townships and 150 villages with coordinates."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from django.db import transaction

from care365.areas import regions
from care365.areas.ancestors import county_parents_ensure
from care365.areas.models import Area
from care365.seeding.seed import names

JINGNING_CODE = "331127"
CENTRE = (27.97, 119.63)  # Jingning's county seat, Hexi
KM_PER_DEGREE = 111.2

# Children per village, relative: the county seat's villages are the biggest, and its two
# subdistricts with the largest towns hold about a third of the county's children.
VILLAGE_WEIGHT = {"subdistrict": 0.5, "town": 0.28, "township": 0.17}
VILLAGES_PER = {"subdistrict": (10, 12), "town": (8, 10), "township": (5, 7)}
CODE_PREFIX = {"subdistrict": 0, "town": 100, "township": 200}


@dataclass(frozen=True, slots=True)
class TownshipPlan:
    index: int
    code: str
    name: str
    kind: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class VillagePlan:
    index: int
    township: int
    code: str
    name: str
    latitude: float
    longitude: float
    weight: float
    she_share: float  # share of She children


@dataclass(frozen=True, slots=True)
class CountyPlan:
    code: str
    name: str
    latitude: float
    longitude: float
    townships: tuple[TownshipPlan, ...]
    villages: tuple[VillagePlan, ...]


def offset(
    lat: float, lon: float, rng: random.Random, km_min: float, km_max: float
) -> tuple[float, float]:
    """A point between km_min and km_max away from (lat, lon), in a random direction."""
    angle = rng.uniform(0, 2 * math.pi)
    km = rng.uniform(km_min, km_max)
    dlat = km * math.sin(angle) / KM_PER_DEGREE
    dlon = km * math.cos(angle) / (KM_PER_DEGREE * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def county_plan(rng: random.Random, county_code: str = JINGNING_CODE) -> CountyPlan:
    """The same map for the same random stream."""
    lat0, lon0 = CENTRE
    townships: list[TownshipPlan] = []
    villages: list[VillagePlan] = []
    counters = dict.fromkeys(CODE_PREFIX, 0)
    for t_index, (t_name, kind) in enumerate(names.TOWNSHIPS):
        counters[kind] += 1
        code = f"{county_code}{CODE_PREFIX[kind] + counters[kind]:03d}"
        if kind == "subdistrict":
            lat, lon = offset(lat0, lon0, rng, 0.5, 3)
        else:
            lat, lon = offset(lat0, lon0, rng, 6, 21)
        townships.append(TownshipPlan(t_index, code, t_name, kind, lat, lon))
        low, high = VILLAGES_PER[kind]
        used: set[str] = set()
        for v in range(rng.randint(low, high)):
            v_name = ""
            while not v_name or v_name in used:
                v_name = rng.choice(names.VILLAGE_FIRST) + rng.choice(names.VILLAGE_SECOND) + "村"
            used.add(v_name)
            v_lat, v_lon = offset(lat, lon, rng, 0.8, 5)
            she = 0.45 if rng.random() < 0.2 else 0.02
            villages.append(
                VillagePlan(
                    index=len(villages),
                    township=t_index,
                    code=f"{code}{201 + v:03d}",
                    name=v_name,
                    latitude=v_lat,
                    longitude=v_lon,
                    weight=VILLAGE_WEIGHT[kind] * rng.uniform(0.5, 1.5),
                    she_share=she,
                )
            )
    region = regions.get(county_code)
    name = region.name if region is not None else f"{county_code}县"
    return CountyPlan(county_code, name, lat0, lon0, tuple(townships), tuple(villages))


@transaction.atomic
def county_write(plan: CountyPlan) -> dict[str, Area]:
    """Create the areas that do not exist yet (the county's prefecture and province too); return
    every area of the plan by code."""
    parent = county_parents_ensure(Area, [(plan.code, plan.latitude, plan.longitude)])[plan.code]
    county, _ = Area.objects.get_or_create(
        code=plan.code,
        defaults={
            "level": Area.Level.COUNTY,
            "parent": parent,
            "name": plan.name,
            "latitude": plan.latitude,
            "longitude": plan.longitude,
        },
    )
    existing = set(Area.objects.filter(code__startswith=plan.code).values_list("code", flat=True))
    Area.objects.bulk_create(
        [
            Area(
                level=Area.Level.TOWNSHIP,
                code=t.code,
                name=t.name,
                parent=county,
                latitude=t.latitude,
                longitude=t.longitude,
            )
            for t in plan.townships
            if t.code not in existing
        ]
    )
    by_code = {a.code: a for a in Area.objects.filter(code__startswith=plan.code)}
    Area.objects.bulk_create(
        [
            Area(
                level=Area.Level.VILLAGE,
                code=v.code,
                name=v.name,
                parent=by_code[plan.townships[v.township].code],
                latitude=v.latitude,
                longitude=v.longitude,
            )
            for v in plan.villages
            if v.code not in existing
        ]
    )
    return {a.code: a for a in Area.objects.filter(code__startswith=plan.code)}
