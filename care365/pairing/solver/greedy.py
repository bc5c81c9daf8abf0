"""The baseline the solver is measured against: children in input order, each takes the nearest
eligible carer within reach that still has room. It keeps the same hard rules (locks, consent,
forbidden pairs, reach, capacity); it only decides worse."""

from __future__ import annotations

import time

import numpy as np

from care365.pairing.solver import arrays as ar
from care365.pairing.solver.model import ROLES, Instance, Result, paused_gc
from care365.pairing.solver.network import (
    CAPACITY_EXHAUSTED,
    NO_CONSENT,
    NO_ELIGIBLE_IN_RANGE,
    _same_region,
)
from care365.pairing.solver.pipeline import RoleOutcome, merge, role_part
from care365.pairing.solver.prepare import ROLE_CODE, IntArray, Prepared, prepare
from care365.pairing.solver.space import exact_km, metres, pairs_within


def greedy(instance: Instance) -> Result:
    start = time.perf_counter()
    with paused_gc():
        prep = prepare(instance)
        parts = [role_part(prep, _greedy_role(prep, role)) for role in ROLES]
        return merge(prep, parts, start=start, flow_seconds=0.0)


def _candidates(prep: Prepared, role: str, places: IntArray) -> tuple[IntArray, IntArray]:
    """For each place, the eligible carers within reach, nearest first: (indptr, carers)."""
    full = prep.params.objective == "full"
    max_km = float(prep.params.max_distance_km[role])
    carers = np.flatnonzero((prep.carer_role == ROLE_CODE[role]) & prep.carer_eligible)
    n_locs = len(prep.loc_lat)
    pi, pk, km = pairs_within(
        prep.loc_lat[places],
        prep.loc_lon[places],
        prep.carer_lat[carers],
        prep.carer_lon[carers],
        max_km,
    )
    same = _same_region(prep.loc_region[places[pi]], prep.carer_region[carers[pk]])
    loc = places[pi[same]]
    who = carers[pk[same]]
    dist = metres(km[same])
    if full:
        sa_rows = [sorted(s) for s in prep.sa_sets]
        sa_indptr, sa_values = ar.table(sa_rows)
        ci, area = ar.expand(prep.carer_sa[carers], sa_indptr, sa_values)
        with_area = places[prep.loc_area[places] >= 0]
        a_indptr, a_rows = ar.csr(prep.loc_area[with_area], max(len(prep.areas), 1))
        ai, sloc = ar.expand(area, a_indptr, with_area[a_rows])
        s_who = carers[ci[ai]]
        ok = _same_region(prep.loc_region[sloc], prep.carer_region[s_who])
        sloc, s_who = sloc[ok], s_who[ok]
        known = set(zip(loc.tolist(), who.tolist(), strict=True))
        extra = [
            (int(lc), int(k))
            for lc, k in zip(sloc.tolist(), s_who.tolist(), strict=True)
            if (lc, k) not in known
        ]
        if extra:
            e_loc = np.asarray([e[0] for e in extra], dtype=np.int64)
            e_who = np.asarray([e[1] for e in extra], dtype=np.int64)
            e_dist = metres(
                exact_km(
                    prep.loc_lat[e_loc],
                    prep.loc_lon[e_loc],
                    prep.carer_lat[e_who],
                    prep.carer_lon[e_who],
                )
            )
            key = np.unique(e_loc * len(prep.carer_ids) + e_who, return_index=True)[1]
            loc = np.concatenate([loc, e_loc[key]])
            who = np.concatenate([who, e_who[key]])
            dist = np.concatenate([dist, e_dist[key]])
    order = np.lexsort((who, dist, loc))
    indptr = np.zeros(n_locs + 1, dtype=np.int64)
    np.cumsum(np.bincount(loc, minlength=n_locs), out=indptr[1:])
    return indptr, who[order]


def _greedy_role(prep: Prepared, role: str) -> RoleOutcome:
    locked = prep.locked[role]
    left = prep.carer_cap.copy()
    locked_children = np.flatnonzero(locked >= 0)
    np.subtract.at(left, locked[locked_children], 1)
    in_flow = locked < 0
    no_consent = np.zeros(0, dtype=np.int64)
    if role == "volunteer":
        no_consent = np.flatnonzero(in_flow & ~prep.child_consent)
        in_flow &= prep.child_consent
    children = np.flatnonzero(in_flow)
    places = np.unique(prep.child_loc[children])
    indptr, ranked = _candidates(prep, role, places)
    ranked_list = ranked.tolist()
    first_open = indptr[:-1].copy().tolist()  # per place: carers before this are full
    ends = indptr[1:].tolist()
    room = left.tolist()
    forbidden = prep.forbidden[role]
    child_loc = prep.child_loc.tolist()
    paired_child: list[int] = []
    paired_carer: list[int] = []
    unpaired_child: list[int] = []
    unpaired_reason: list[int] = []
    for i in children.tolist():
        loc = child_loc[i]
        start, end = first_open[loc], ends[loc]
        while start < end and room[ranked_list[start]] <= 0:
            start += 1
        first_open[loc] = start
        banned = forbidden.get(i)
        chosen = -1
        for j in range(start, end):
            k = ranked_list[j]
            if room[k] > 0 and (banned is None or k not in banned):
                chosen = k
                break
        if chosen >= 0:
            room[chosen] -= 1
            paired_child.append(i)
            paired_carer.append(chosen)
            continue
        reachable = indptr[loc + 1] > indptr[loc]
        if banned is not None:
            reachable = any(k not in banned for k in ranked_list[indptr[loc] : indptr[loc + 1]])
        unpaired_child.append(i)
        unpaired_reason.append(CAPACITY_EXHAUSTED if reachable else NO_ELIGIBLE_IN_RANGE)
    child = np.concatenate([locked_children, np.asarray(paired_child, dtype=np.int64)])
    carer = np.concatenate([locked[locked_children], np.asarray(paired_carer, dtype=np.int64)])
    is_locked = np.zeros(len(child), dtype=np.bool_)
    is_locked[: len(locked_children)] = True
    return RoleOutcome(
        role=role,
        child=child.astype(np.int64),
        carer=carer.astype(np.int64),
        locked=is_locked,
        unpaired_child=np.concatenate([no_consent, np.asarray(unpaired_child, dtype=np.int64)]),
        unpaired_reason=np.concatenate(
            [
                np.full(len(no_consent), NO_CONSENT, dtype=np.int64),
                np.asarray(unpaired_reason, dtype=np.int64),
            ]
        ),
    )
