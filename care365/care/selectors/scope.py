"""Who is responsible for which children, and who may read what of daily care.

Every list starts from the access layer (`children_for_user`); these helpers narrow it to the
children a user is *responsible* for (a carer's paired children, the children of a director's or
supervisor's area; never a child opened by break-the-glass) and say which kinds of record the
user's role may read."""

from __future__ import annotations

from collections.abc import Iterable

from care365.areas.models import Area
from care365.care.models import CareSettings


def county_of_village(village: Area) -> Area:
    area = village
    while area.level != Area.Level.COUNTY and area.parent is not None:
        area = area.parent
    return area


def care_settings_get(county_id: int) -> CareSettings:
    """The county's settings, or the defaults (an unsaved row) when it has none."""
    row = CareSettings.objects.filter(county_id=county_id).first()
    return row if row is not None else CareSettings(county_id=county_id)


def care_settings_many(county_ids: Iterable[int | None]) -> dict[int, CareSettings]:
    ids = {c for c in county_ids if c is not None}
    found = {s.county_id: s for s in CareSettings.objects.filter(county_id__in=ids)}
    return {c: found.get(c) or CareSettings(county_id=c) for c in ids}
