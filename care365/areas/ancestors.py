"""The province and prefecture above a county, created when a county joins (GB/T 2260).

Used by the data migration that put the existing counties under their prefectures and provinces,
by the seeder and by the tests' factories: one rule for all three.

- Names come from GB/T 2260 (`regions`, the most recent name of the code, historic ones
  included); a code the list never had is named by its code until someone renames it.
- A county goes under its prefecture (`331127` under `331100`); where GB/T 2260 has no
  prefecture for it (a municipality's district, a county-level city its province runs itself)
  directly under its province (`110101` under `110000`): see `care365.areas.models`.
- A new ancestor's coordinates are the mean of its children's when it is created: a prefecture's
  of its counties, a province's of its prefectures (and counties directly under it). They only
  centre a map; nothing measures distances from them, so they are not moved when more counties
  join later (an administrator may set them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from care365.areas import regions


@dataclass(frozen=True, slots=True)
class Ancestor:
    code: str
    level: str  # "province" or "prefecture" (Area.Level's values)
    name: str
    parent_code: str | None


def _name(code: str) -> str:
    region = regions.get(code)
    return region.name if region is not None else code


def county_ancestors(county_code: str) -> tuple[Ancestor, ...]:
    """The province and (where GB/T 2260 has one) the prefecture above a county, top first."""
    province = regions.province_code(county_code)
    top = Ancestor(province, "province", _name(province), None)
    prefecture = regions.prefecture_code(county_code)
    if regions.get(prefecture) is None:
        return (top,)
    return (top, Ancestor(prefecture, "prefecture", _name(prefecture), province))


def county_parents_ensure(
    area_model: Any, counties: Iterable[tuple[str, float, float]]
) -> dict[str, Any]:
    """Create the provinces and prefectures missing above these counties (code, latitude,
    longitude) and return each county's parent by the county's code.

    `area_model` is the Area model, or the historical one in a migration. Existing ancestors are
    used as they are; new ones get the mean coordinates of their children (module docstring)."""
    counties = list(counties)
    wanted: dict[str, Ancestor] = {}
    for code, _lat, _lon in counties:
        for ancestor in county_ancestors(code):
            wanted[ancestor.code] = ancestor
    existing: dict[str, Any] = {
        a.code: a for a in area_model.objects.filter(code__in=sorted(wanted))
    }
    # Where each ancestor would be: its children's mean, prefectures first (their means feed
    # their province's). Only the missing ones are created with it.
    below: dict[str, list[tuple[float, float]]] = {}
    for code, lat, lon in counties:
        below.setdefault(county_ancestors(code)[-1].code, []).append((lat, lon))
    where: dict[str, tuple[float, float]] = {}
    for level in ("prefecture", "province"):
        for ancestor in (a for a in wanted.values() if a.level == level):
            if ancestor.code in existing:
                found = existing[ancestor.code]
                where[ancestor.code] = (found.latitude, found.longitude)
                continue
            points = below.get(ancestor.code, []) + [
                where[a.code] for a in wanted.values() if a.parent_code == ancestor.code
            ]
            where[ancestor.code] = (
                fmean(p[0] for p in points),
                fmean(p[1] for p in points),
            )
    for level in ("province", "prefecture"):
        for ancestor in sorted(wanted.values(), key=lambda a: a.code):
            if ancestor.level != level or ancestor.code in existing:
                continue
            latitude, longitude = where[ancestor.code]
            existing[ancestor.code] = area_model.objects.create(
                level=ancestor.level,
                code=ancestor.code,
                name=ancestor.name,
                parent=existing[ancestor.parent_code] if ancestor.parent_code else None,
                latitude=round(latitude, 6),
                longitude=round(longitude, 6),
            )
    return {code: existing[county_ancestors(code)[-1].code] for code, _lat, _lon in counties}
