"""`solve`: read the instance into arrays, build and solve one network per role, and turn the
flows back into pairs with their costs and reasons.

With worker processes the work overlaps: while the workers solve a role's parts, this process
builds the next role's network, and reads back the roles that are done.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from care365.pairing.solver import arrays as ar
from care365.pairing.solver.flow import FlowRunner, decompose
from care365.pairing.solver.model import ROLES, Assignment, Instance, Result, Unpaired, paused_gc
from care365.pairing.solver.network import (
    CAPACITY_EXHAUSTED,
    NO_CONSENT,
    NO_ELIGIBLE_IN_RANGE,
    RoleNetwork,
    build_role,
)
from care365.pairing.solver.prepare import BoolArray, IntArray, Prepared, prepare
from care365.pairing.solver.space import exact_km, metres

# With fewer children than this, worker processes cost more than they save.
PARALLEL_MIN_CHILDREN = 30_000

REASON_NAMES = {
    NO_CONSENT: "no_consent",
    NO_ELIGIBLE_IN_RANGE: "no_eligible_in_range",
    CAPACITY_EXHAUSTED: "capacity_exhausted",
}


@dataclass(slots=True)
class RoleOutcome:
    role: str
    child: IntArray  # paired children
    carer: IntArray  # their carers (indices)
    locked: BoolArray
    unpaired_child: IntArray
    unpaired_reason: IntArray  # codes of REASON_NAMES


@dataclass(slots=True)
class RolePart:
    """A role's pairs with their costs and reasons, ready to be merged with the other roles'."""

    role: str
    child: IntArray
    carer: IntArray
    cost: IntArray
    metres: IntArray
    reason_of: IntArray  # index into `reasons`
    reasons: list[list[str]]
    unpaired_child: IntArray
    unpaired_reason: IntArray


def solve(instance: Instance, *, workers: int = 1) -> Result:
    """Pair as many children as possible per role, then at the least total cost (exact).

    With workers > 1 and a large instance, the parts of the networks are solved in that many
    worker processes (started with "spawn": call from a program with the usual
    `if __name__ == "__main__":` guard, as manage.py and the console script have).
    """
    start = time.perf_counter()
    with paused_gc():
        prep = prepare(instance)
        parallel = workers > 1 and len(prep.child_ids) >= PARALLEL_MIN_CHILDREN
        runner = FlowRunner(workers if parallel else 1)
        try:
            pending = []
            for role in ROLES:
                net = build_role(prep, role)
                pending.append((net, runner.submit(net)))
            parts = []
            for net, handle in pending:
                parts.append(role_part(prep, role_outcome(net, handle.flows())))
                handle.release()
            pending.clear()
        finally:
            runner.close()
        return merge(prep, parts, start=start, flow_seconds=runner.seconds)


def role_outcome(net: RoleNetwork, flows: IntArray) -> RoleOutcome:
    """Children of each group take the group's carers in input order; the rest are unpaired."""
    groups, carers, amounts = decompose(net, flows)
    order = np.lexsort((carers, groups))
    groups, carers, amounts = groups[order], carers[order], amounts[order]
    ends = np.cumsum(amounts)
    begins = ends - amounts
    # the children of a group, in input order, take its parcels in carer order
    offset = begins - begins[np.searchsorted(groups, groups, side="left")]
    first = net.group_indptr[groups] + offset
    positions = np.repeat(first - begins, amounts) + np.arange(int(ends[-1]) if len(ends) else 0)
    paired_children = net.group_children[positions]
    paired_carers = np.repeat(carers, amounts)

    sizes = np.diff(net.group_indptr)
    taken = np.zeros(len(net.group_children), dtype=np.bool_)
    taken[positions] = True
    left = np.flatnonzero(~taken)
    group_of_position = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    reachable = net.group_reachable[group_of_position[left]]
    reasons = np.where(reachable, CAPACITY_EXHAUSTED, NO_ELIGIBLE_IN_RANGE).astype(np.int64)

    child = np.concatenate([net.locked_children, paired_children])
    carer = np.concatenate([net.locked_carers, paired_carers])
    locked = np.zeros(len(child), dtype=np.bool_)
    locked[: len(net.locked_children)] = True
    return RoleOutcome(
        role=net.role,
        child=child,
        carer=carer,
        locked=locked,
        unpaired_child=np.concatenate([net.no_consent, net.group_children[left]]),
        unpaired_reason=np.concatenate(
            [np.full(len(net.no_consent), NO_CONSENT, dtype=np.int64), reasons]
        ),
    )


def _pieces(
    child_codes: IntArray, carer_codes: IntArray, sets: list[frozenset[str]], label: str
) -> tuple[IntArray, list[list[str]]]:
    """What a child and a carer share, as a piece id per pair and the reasons of each piece."""
    n_sets = len(sets)
    uniq, inverse = np.unique(child_codes * n_sets + carer_codes, return_inverse=True)
    index: dict[frozenset[str], int] = {}
    texts: list[list[str]] = []
    piece_of = np.empty(len(uniq), dtype=np.int64)
    for j, code in enumerate(uniq.tolist()):
        shared = sets[code // n_sets] & sets[code % n_sets]
        found = index.get(shared)
        if found is None:
            found = index[shared] = len(texts)
            texts.append([f"{label}:{x}" for x in sorted(shared)])
        piece_of[j] = found
    return piece_of[inverse.reshape(-1)], texts


def _count_per_pair(
    child_codes: IntArray, carer_codes: IntArray, sets: list[frozenset[str]], *, missing: bool
) -> IntArray:
    """Per pair: how many of the child's items the carer lacks (missing), or 1 if the child has
    items and the carer shares none of them (not missing)."""
    n_sets = len(sets)
    uniq, inverse = np.unique(child_codes * n_sets + carer_codes, return_inverse=True)
    values = []
    for code in uniq.tolist():
        mine, theirs = sets[code // n_sets], sets[code % n_sets]
        values.append(len(mine - theirs) if missing else int(bool(mine) and not mine & theirs))
    out: IntArray = np.asarray(values, dtype=np.int64)[inverse.reshape(-1)]
    return out


def role_part(prep: Prepared, out: RoleOutcome) -> RolePart:
    """Costs (the terms of costs.pair_cost, with arrays) and reasons of a role's pairs.

    Reasons are put together from pieces computed once per (place, carer), per (interests,
    skills) and per (languages, languages); pairs with the same reasons share one list.
    """
    params = prep.params
    full = params.objective == "full"
    w = params.weights
    words, langs = prep.words, prep.langs
    role = out.role
    vol = full and role == "volunteer"
    child, carer = out.child, out.carer
    n = len(child)
    nothing = np.zeros(n, dtype=np.int64)
    is_current = prep.current[role][child] == carer
    loc = prep.child_loc[child]

    # distances, once per (place, carer)
    _, p_first, p_of = np.unique(
        ar.keys(loc, carer) if n else nothing, return_index=True, return_inverse=True
    )
    p_of = p_of.reshape(-1)
    p_loc, p_carer = loc[p_first], carer[p_first]
    km = exact_km(
        prep.loc_lat[p_loc], prep.loc_lon[p_loc], prep.carer_lat[p_carer], prep.carer_lon[p_carer]
    )
    p_metres = metres(km)
    p_beyond = km > float(params.max_distance_km[role])
    p_label = [f"{m / 1000:.1f} km" for m in p_metres.tolist()]
    m = p_metres[p_of]

    c_int = prep.child_int[child] if vol else nothing
    c_lang = prep.child_lang[child] if full else nothing
    k_skill = prep.carer_skill[carer] if vol else nothing
    k_lang = prep.carer_lang[carer] if full else nothing
    woman = (prep.child_girl[child] & prep.carer_woman[carer]).astype(np.int64) if vol else nothing
    if full:
        cost = (m * w.per_km + 500) // 1000 + w.change_penalty * (~is_current)
        if n:
            cost += w.language_mismatch * _count_per_pair(c_lang, k_lang, langs.sets, missing=True)
        if vol and n:
            cost += w.interest_mismatch * _count_per_pair(c_int, k_skill, words.sets, missing=False)
            no_woman = prep.child_girl[child] & ~prep.carer_woman[carer]
            cost += w.woman_volunteer_for_girl_over_ten * no_woman
    else:
        cost = m.copy()

    # reasons, once per distinct combination of their pieces
    word_piece = _pieces(c_int, k_skill, words.sets, "interest") if vol else None
    lang_piece = _pieces(c_lang, k_lang, langs.sets, "language") if full else None
    r_key = (
        ar.keys(
            p_of,
            nothing if word_piece is None else word_piece[0],
            nothing if lang_piece is None else lang_piece[0],
            woman,
            is_current.astype(np.int64),
            out.locked.astype(np.int64),
        )
        if n
        else nothing
    )
    _, r_first, r_of = np.unique(r_key, return_index=True, return_inverse=True)
    reasons: list[list[str]] = []
    for i in r_first.tolist():
        pid = int(p_of[i])
        why = [p_label[pid]]
        if out.locked[i]:
            why.append("locked")
        if is_current[i]:
            why.append("continuity")
        if full:
            if p_beyond[pid]:
                why.append("service_area")
            if word_piece is not None:
                why.extend(word_piece[1][int(word_piece[0][i])])
            if lang_piece is not None:
                why.extend(lang_piece[1][int(lang_piece[0][i])])
            if woman[i]:
                why.append("woman_volunteer")
        reasons.append(why)
    return RolePart(
        role=role,
        child=child,
        carer=carer,
        cost=cost.astype(np.int64),
        metres=m,
        reason_of=r_of.reshape(-1).astype(np.int64),
        reasons=reasons,
        unpaired_child=out.unpaired_child,
        unpaired_reason=out.unpaired_reason,
    )


def merge(prep: Prepared, parts: list[RolePart], *, start: float, flow_seconds: float) -> Result:
    """Pairs and unpaired children, by child in input order, then by role."""
    role_index = {role: i for i, role in enumerate(ROLES)}
    children, roles, values = [], [], []
    made = 0
    reason_base = []
    n_reasons = 0
    for part in parts:
        r = role_index[part.role]
        children += [part.child, part.unpaired_child]
        roles += [np.full(len(part.child) + len(part.unpaired_child), r, dtype=np.int64)]
        # values: index of the pair among all pairs, or minus the unpaired reason code
        values += [made + np.arange(len(part.child), dtype=np.int64), -part.unpaired_reason]
        made += len(part.child)
        reason_base.append(n_reasons)
        n_reasons += len(part.reasons)
    child_all = np.concatenate(children)
    role_all = np.concatenate(roles)
    value_all = np.concatenate(values)
    order = np.lexsort((role_all, child_all))
    child_all, role_all, value_all = child_all[order], role_all[order], value_all[order]
    carer_of = np.concatenate([p.carer for p in parts])
    cost_of = np.concatenate([p.cost for p in parts])
    metres_of = np.concatenate([p.metres for p in parts])
    reason_of = np.concatenate(
        [p.reason_of + base for p, base in zip(parts, reason_base, strict=True)]
    )
    reasons_table = np.empty(n_reasons, dtype=object)
    reasons_table[:] = [why for p in parts for why in p.reasons]

    ids = np.asarray(prep.child_ids, dtype=object)
    carer_ids = np.asarray(prep.carer_ids, dtype=object)
    role_names = np.asarray(ROLES, dtype=object)
    paired = value_all >= 0
    pv = value_all[paired]
    assignments = list(
        map(
            Assignment,
            ids[child_all[paired]].tolist(),
            role_names[role_all[paired]].tolist(),
            carer_ids[carer_of[pv]].tolist(),
            cost_of[pv].tolist(),
            reasons_table[reason_of[pv]].tolist(),
            metres_of[pv].tolist(),
        )
    )
    reason_names = np.asarray(["", *(REASON_NAMES[c] for c in sorted(REASON_NAMES))], dtype=object)
    unpaired = list(
        map(
            Unpaired,
            ids[child_all[~paired]].tolist(),
            role_names[role_all[~paired]].tolist(),
            reason_names[-value_all[~paired]].tolist(),
        )
    )
    return Result(
        assignments=assignments,
        unpaired=unpaired,
        total_cost=int(cost_of.sum()),
        paired=len(assignments),
        seconds=time.perf_counter() - start,
        flow_seconds=flow_seconds,
    )
