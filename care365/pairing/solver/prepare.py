"""The instance as arrays: one pass over the children and carers, everything else is numpy.

Sets of strings (interests, skills, languages) become small integer codes, the same code for the
same set; code 0 is the empty set. Children's places become location indices: children carry
their village's coordinates, so a province's million children stand at some tens of thousands of
places.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from care365.pairing.solver.model import ROLES, Instance, Params

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

ROLE_CODE: dict[str, int] = {role: i for i, role in enumerate(ROLES)}


class Interner:
    """Sets of strings to integer codes; code 0 is the empty set."""

    def __init__(self) -> None:
        self.sets: list[frozenset[str]] = [frozenset()]
        self._codes: dict[frozenset[str], int] = {frozenset(): 0}
        self._by_tuple: dict[tuple[str, ...], int] = {(): 0}

    def code(self, items: frozenset[str]) -> int:
        code = self._codes.get(items)
        if code is None:
            code = len(self.sets)
            self.sets.append(items)
            self._codes[items] = code
        return code

    def code_of(self, items: tuple[str, ...], drop: frozenset[str] = frozenset()) -> int:
        code = self._by_tuple.get(items)
        if code is None:
            code = self.code(frozenset(items) - drop)
            self._by_tuple[items] = code
        return code


@dataclass(slots=True)
class Prepared:
    params: Params
    child_ids: list[str]
    child_loc: IntArray  # location index of each child
    loc_lat: FloatArray
    loc_lon: FloatArray
    loc_area: IntArray  # area index of each location, -1 if none
    loc_region: IntArray  # region index of each location, -1 if none
    areas: list[str]
    child_int: IntArray  # interests (code in `words`)
    child_lang: IntArray  # languages without the common ones (code in `langs`)
    child_girl: BoolArray  # a girl over ten
    child_consent: BoolArray
    current: dict[str, IntArray]  # per role: carer index or -1
    locked: dict[str, IntArray]  # per role: carer index of a lock the solver keeps, or -1
    forbidden: dict[str, dict[int, frozenset[int]]]  # per role: child -> carer indices
    carer_ids: list[str]
    carer_role: IntArray
    carer_lat: FloatArray
    carer_lon: FloatArray
    carer_cap: IntArray
    carer_eligible: BoolArray
    carer_woman: BoolArray
    carer_skill: IntArray  # code in `words`
    carer_lang: IntArray  # code in `langs`
    carer_sa: IntArray  # code in `sa_sets`, 0 if none
    carer_region: IntArray  # region index, -1 if none
    sa_sets: list[frozenset[int]]  # area indices
    words: Interner
    langs: Interner


def prepare(instance: Instance) -> Prepared:
    params = instance.params
    common = frozenset(params.common_languages)
    words = Interner()
    langs = Interner()
    carer_index = {k.id: i for i, k in enumerate(instance.carers)}
    role_of = [ROLE_CODE[k.role] for k in instance.carers]
    eligible = [k.eligible for k in instance.carers]

    locations: dict[tuple[float, float, str | None, str | None], int] = {}
    area_index: dict[str, int] = {}
    region_index: dict[str | None, int] = {None: -1}
    loc_keys: list[tuple[float, float, str | None, str | None]] = []
    child_loc: list[int] = []
    child_int: list[int] = []
    child_lang: list[int] = []
    child_girl: list[bool] = []
    child_consent: list[bool] = []
    n = len(instance.children)
    current = {role: np.full(n, -1, dtype=np.int64) for role in ROLES}
    locked = {role: np.full(n, -1, dtype=np.int64) for role in ROLES}
    forbidden: dict[str, dict[int, frozenset[int]]] = {role: {} for role in ROLES}

    for i, c in enumerate(instance.children):
        key = (c.lat, c.lon, c.area, c.region)
        loc = locations.get(key)
        if loc is None:
            loc = locations[key] = len(loc_keys)
            loc_keys.append(key)
        child_loc.append(loc)
        child_int.append(words.code_of(c.interests))
        child_lang.append(langs.code_of(c.languages, common))
        child_girl.append(c.sex == "F" and c.age is not None and c.age > 10)
        child_consent.append(c.consent)
        if c.current:
            for role, carer_id in c.current.items():
                k = carer_index.get(carer_id, -1)
                if k >= 0 and role_of[k] == ROLE_CODE[role]:
                    current[role][i] = k
        if c.locked:
            for role, carer_id in c.locked.items():
                k = carer_index[carer_id]
                if eligible[k] and (role != "volunteer" or c.consent):
                    locked[role][i] = k
        if c.forbidden:
            for role, ids in c.forbidden.items():
                ks = frozenset(
                    carer_index[x]
                    for x in ids
                    if x in carer_index and role_of[carer_index[x]] == ROLE_CODE[role]
                )
                if ks:
                    forbidden[role][i] = ks

    for _lat, _lon, area, region in loc_keys:
        if area is not None and area not in area_index:
            area_index[area] = len(area_index)
        if region not in region_index:
            region_index[region] = len(region_index) - 1
    for carer in instance.carers:
        if carer.region not in region_index:
            region_index[carer.region] = len(region_index) - 1
    sa_sets: list[frozenset[int]] = [frozenset()]
    sa_codes: dict[tuple[str, ...], int] = {(): 0}
    carer_sa: list[int] = []
    for carer in instance.carers:
        code = sa_codes.get(carer.service_areas)
        if code is None:
            served = frozenset(area_index[a] for a in carer.service_areas if a in area_index)
            code = len(sa_sets) if served else 0
            if served:
                sa_sets.append(served)
            sa_codes[carer.service_areas] = code
        carer_sa.append(code)

    carers = instance.carers
    return Prepared(
        params=params,
        child_ids=[c.id for c in instance.children],
        child_loc=np.asarray(child_loc, dtype=np.int64),
        loc_lat=np.asarray([k[0] for k in loc_keys], dtype=np.float64),
        loc_lon=np.asarray([k[1] for k in loc_keys], dtype=np.float64),
        loc_area=np.asarray(
            [-1 if k[2] is None else area_index[k[2]] for k in loc_keys], dtype=np.int64
        ),
        loc_region=np.asarray([region_index[k[3]] for k in loc_keys], dtype=np.int64),
        areas=list(area_index),
        child_int=np.asarray(child_int, dtype=np.int64),
        child_lang=np.asarray(child_lang, dtype=np.int64),
        child_girl=np.asarray(child_girl, dtype=np.bool_),
        child_consent=np.asarray(child_consent, dtype=np.bool_),
        current=current,
        locked=locked,
        forbidden=forbidden,
        carer_ids=[k.id for k in carers],
        carer_role=np.asarray(role_of, dtype=np.int64),
        carer_lat=np.asarray([k.lat for k in carers], dtype=np.float64),
        carer_lon=np.asarray([k.lon for k in carers], dtype=np.float64),
        carer_cap=np.asarray([k.capacity for k in carers], dtype=np.int64),
        carer_eligible=np.asarray(eligible, dtype=np.bool_),
        carer_woman=np.asarray([k.sex == "F" for k in carers], dtype=np.bool_),
        carer_skill=np.asarray([words.code_of(k.skills) for k in carers], dtype=np.int64),
        carer_lang=np.asarray([langs.code_of(k.languages, common) for k in carers], dtype=np.int64),
        carer_sa=np.asarray(carer_sa, dtype=np.int64),
        carer_region=np.asarray([region_index[k.region] for k in carers], dtype=np.int64),
        sa_sets=sa_sets,
        words=words,
        langs=langs,
    )
