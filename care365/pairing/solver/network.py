"""One role's pairing as a min-cost flow network that is exact but small.

A child could be joined to every carer within reach by its own arc; for a province that is
hundreds of millions of arcs. The network below has the same optimum with far fewer:

- **Groups**: children of a role who are interchangeable (same place, same cost-relevant traits,
  same current carer, same forbidden carers) are one supply node with the group's size.
- **Hubs**: groups that differ only by their current carer share a hub (place, traits); the arc
  group -> hub costs the change penalty, the arc group -> current carer does not.
- **Carer classes**: carers of a role at the same place with the same cost-relevant traits and
  service areas are one class node, feeding each carer's own node (its capacity).
- **Traits resolved in stages**: the soft rules compare a child's traits with a carer's (shared
  interest, shared language, a woman for a girl over ten). Rather than one arc per (child traits,
  carer traits) pair, a chain of nodes at a place turns the child's traits into requirements
  ("a volunteer with skill music", "one who speaks She", "a woman") and the requirements into
  carer traits, one trait at a time; each arc carries the penalty of the option it takes. Every
  path through the chain costs at least the true cost of its pair and the cheapest path costs
  exactly that, so the optimum is unchanged.
- **Distance arcs** join a child's place to a carer's place within reach. Each carries either
  the children's traits (the chain sits at the carer's place) or the carers' traits (the chain
  sits at the child's place), whichever needs fewer arcs for that pair of places.

Continuity: every path that does not keep the child's current carer pays the change penalty
once, on the arc group -> hub. Ties are broken towards keeping current pairs: each cost is
multiplied by M (more than the number of continuity arcs) and 1 is added on every path that
changes a pair, so among the pairings of least cost the one that keeps the most current pairs
wins; proposing again with `current` set to a proposal therefore returns that proposal.
Without any usable current pair, the penalty is the same for every paired child and is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from care365.pairing.solver import arrays as ar
from care365.pairing.solver.prepare import ROLE_CODE, BoolArray, IntArray, Prepared
from care365.pairing.solver.space import exact_km, metres, pairs_within

LEVEL_GROUP = 0
LEVEL_HUB = 1
LEVEL_PLACE_TYPE = 3  # carer types at a child's place (requirements at level 2 lead there)
LEVEL_ARRIVAL = 4  # children's traits arrived at a carer's place; requirements at level 5
LEVEL_CARER_TYPE = 6
LEVEL_CLASS = 7
LEVEL_CARER = 8

# unpaired reasons, as codes
NO_CONSENT = 1
NO_ELIGIBLE_IN_RANGE = 2
CAPACITY_EXHAUSTED = 3


@dataclass(slots=True)
class RoleNetwork:
    role: str
    level: IntArray  # per node
    supply: IntArray  # per node
    tails: IntArray
    heads: IntArray
    caps: IntArray
    primary: IntArray  # cost per unit, in cost units
    secondary: IntArray  # 1 on arcs that start a path changing a current pair
    multiplier: int  # M, or 1 when no child has a usable current pair
    group_node: IntArray  # supply node of each group
    group_indptr: IntArray  # children of each group, in input order
    group_children: IntArray
    group_reachable: BoolArray
    carer_node_of: IntArray  # carer node -> carer index (-1 for other nodes)
    # children outside the flow
    locked_children: IntArray
    locked_carers: IntArray
    no_consent: IntArray

    def costs(self, *, tie_break: bool = True) -> IntArray:
        if tie_break and self.multiplier > 1:
            return self.primary * self.multiplier + self.secondary
        return self.primary.copy()


class _Builder:
    def __init__(self, inf: int) -> None:
        self.inf = inf  # capacity of arcs without a limit of their own
        self.n = 0
        self.levels: list[IntArray] = []
        self.tails: list[IntArray] = []
        self.heads: list[IntArray] = []
        self.caps: list[IntArray] = []
        self.costs: list[IntArray] = []
        self.secs: list[IntArray] = []

    def nodes(self, level: int, count: int) -> IntArray:
        ids = np.arange(self.n, self.n + count, dtype=np.int64)
        self.levels.append(np.full(count, level, dtype=np.int64))
        self.n += count
        return ids

    def arcs(
        self,
        tails: IntArray,
        heads: IntArray,
        caps: IntArray | int,
        costs: IntArray | int,
        sec: int = 0,
    ) -> None:
        m = len(tails)
        if m == 0:
            return
        self.tails.append(tails.astype(np.int64))
        self.heads.append(heads.astype(np.int64))
        self.caps.append(np.broadcast_to(np.asarray(caps, dtype=np.int64), (m,)).copy())
        self.costs.append(np.broadcast_to(np.asarray(costs, dtype=np.int64), (m,)).copy())
        self.secs.append(np.full(m, sec, dtype=np.int64))

    def cat(self, parts: list[IntArray]) -> IntArray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


@dataclass(slots=True)
class _Traits:
    """Projected trait codes for a role, and the tables the chain needs."""

    vol: bool
    w_int: int
    w_lang: int
    w_girl: int
    n_words: int
    n_langs: int
    x_of_word: dict[str, int]  # interest -> x (1-based; 0 means "any")


def build_role(prep: Prepared, role: str) -> RoleNetwork:
    p = prep.params
    full = p.objective == "full"
    vol = role == "volunteer"
    max_km = float(p.max_distance_km[role])
    w = p.weights

    # --- carers of the role ---------------------------------------------------------------
    role_carers = np.flatnonzero((prep.carer_role == ROLE_CODE[role]) & prep.carer_eligible).astype(
        np.int64
    )
    locked = prep.locked[role]
    locked_children = np.flatnonzero(locked >= 0).astype(np.int64)
    used = np.bincount(locked[locked_children], minlength=len(prep.carer_ids))
    cap_left = prep.carer_cap[role_carers] - used[role_carers]
    k_region = prep.carer_region[role_carers]
    site_keys = np.stack(
        [prep.carer_lat[role_carers], prep.carer_lon[role_carers], k_region.astype(np.float64)],
        axis=1,
    )
    if len(role_carers):
        site_xy, carer_site = np.unique(site_keys, axis=0, return_inverse=True)
        carer_site = carer_site.reshape(-1).astype(np.int64)
    else:
        site_xy, carer_site = np.zeros((0, 3)), np.zeros(0, dtype=np.int64)
    n_sites = len(site_xy)
    site_region = site_xy[:, 2].astype(np.int64)
    position = np.full(len(prep.carer_ids), -1, dtype=np.int64)  # carer index -> role position
    position[role_carers] = np.arange(len(role_carers), dtype=np.int64)

    # --- children of the role in the flow ---------------------------------------------------
    in_flow = locked < 0
    no_consent = np.zeros(0, dtype=np.int64)
    if vol:
        no_consent = np.flatnonzero(in_flow & ~prep.child_consent).astype(np.int64)
        in_flow &= prep.child_consent
    flow_children = np.flatnonzero(in_flow).astype(np.int64)
    child_loc = prep.child_loc[flow_children]

    # --- places within reach ------------------------------------------------------------------
    places = np.unique(child_loc)
    pi, pm, pkm = pairs_within(
        prep.loc_lat[places], prep.loc_lon[places], site_xy[:, 0], site_xy[:, 1], max_km
    )
    same = _same_region(prep.loc_region[places[pi]], site_region[pm])
    pair_loc = places[pi[same]]
    pair_site = pm[same]
    pair_m = metres(pkm[same])
    n_locs = len(prep.loc_lat)
    pair_key = pair_loc * max(n_sites, 1) + pair_site
    pair_order = np.argsort(pair_key, kind="stable")
    pair_sorted = pair_key[pair_order]

    def pair_index(loc: IntArray, site: IntArray) -> IntArray:
        """Index of the in-range pair (loc, site), -1 if out of range."""
        if len(pair_sorted) == 0:
            return np.full(len(loc), -1, dtype=np.int64)
        k = loc * max(n_sites, 1) + site
        pos = np.minimum(np.searchsorted(pair_sorted, k), len(pair_sorted) - 1)
        found: IntArray = np.where(pair_sorted[pos] == k, pair_order[pos], -1)
        return found

    # service areas (the "full" objective only): carers that serve a place's village
    sa_code = prep.carer_sa[role_carers] if full else np.zeros(len(role_carers), dtype=np.int64)
    sa_rows: list[list[int]] = [sorted(s) for s in prep.sa_sets]
    sa_indptr, sa_values = ar.table(sa_rows)
    served_carer, served_area = ar.expand(sa_code, sa_indptr, sa_values)
    # (role position, area) -> places of that area
    loc_area = prep.loc_area
    used_places = places[loc_area[places] >= 0]
    area_indptr, area_places = ar.csr(loc_area[used_places], max(len(prep.areas), 1))
    area_places = used_places[area_places]
    sj, sloc = ar.expand(served_area, area_indptr, area_places)
    sa_pos = served_carer[sj]  # role position
    sa_loc = sloc
    beyond = pair_index(sa_loc, carer_site[sa_pos]) < 0
    beyond &= _same_region(prep.loc_region[sa_loc], k_region[sa_pos])
    sa_pos, sa_loc = sa_pos[beyond], sa_loc[beyond]
    if len(sa_pos):
        sa_m = metres(
            exact_km(
                prep.loc_lat[sa_loc],
                prep.loc_lon[sa_loc],
                prep.carer_lat[role_carers[sa_pos]],
                prep.carer_lon[role_carers[sa_pos]],
            )
        )
    else:
        sa_m = np.zeros(0, dtype=np.int64)
    reach_place = np.zeros(n_locs, dtype=np.bool_)
    reach_place[pair_loc] = True
    reach_place[sa_loc] = True

    # --- traits, projected to what the role's costs look at --------------------------------
    words, langs = prep.words, prep.langs
    if full and vol:
        c_int = prep.child_int[flow_children]
        c_girl = prep.child_girl[flow_children]
    else:
        c_int = np.zeros(len(flow_children), dtype=np.int64)
        c_girl = np.zeros(len(flow_children), dtype=np.bool_)
    c_lang = (
        prep.child_lang[flow_children] if full else np.zeros(len(flow_children), dtype=np.int64)
    )
    union_words = frozenset().union(*(words.sets[c] for c in np.unique(c_int).tolist()))
    union_langs = frozenset().union(*(langs.sets[c] for c in np.unique(c_lang).tolist()))
    any_girl = bool(c_girl.any())

    k_skill = np.zeros(len(role_carers), dtype=np.int64)
    k_lang = np.zeros(len(role_carers), dtype=np.int64)
    if full:
        raw = prep.carer_lang[role_carers]
        for code in np.unique(raw).tolist():
            k_lang[raw == code] = langs.code(langs.sets[code] & union_langs)
        if vol:
            raw = prep.carer_skill[role_carers]
            for code in np.unique(raw).tolist():
                k_skill[raw == code] = words.code(words.sets[code] & union_words)
    k_fem = (
        prep.carer_woman[role_carers] & any_girl
        if full and vol
        else np.zeros(len(role_carers), dtype=np.bool_)
    )
    traits = _Traits(
        vol=full and vol,
        w_int=w.interest_mismatch if full and vol else 0,
        w_lang=w.language_mismatch if full else 0,
        w_girl=w.woman_volunteer_for_girl_over_ten if full and vol else 0,
        n_words=len(words.sets),
        n_langs=len(langs.sets),
        x_of_word={word: i + 1 for i, word in enumerate(sorted(union_words))},
    )

    # --- current carers that can be kept -------------------------------------------------
    cur = prep.current[role][flow_children]
    cur_pos = np.full(len(cur), -1, dtype=np.int64)
    cur_pos[cur >= 0] = position[cur[cur >= 0]]
    forb_map = prep.forbidden[role]
    forb_code = np.zeros(len(flow_children), dtype=np.int64)
    forb_sets: list[frozenset[int]] = [frozenset()]
    forb_index: dict[frozenset[int], int] = {frozenset(): 0}
    if forb_map:
        row_of = {int(c): i for i, c in enumerate(flow_children.tolist())}
        for child, carers in forb_map.items():
            i = row_of.get(child)
            if i is None:
                continue
            ks = frozenset(int(position[k]) for k in carers if position[k] >= 0)
            if not ks:
                continue
            code = forb_index.get(ks)
            if code is None:
                code = forb_index[ks] = len(forb_sets)
                forb_sets.append(ks)
            forb_code[i] = code
            if cur_pos[i] in ks:
                cur_pos[i] = -1
    has_cur = cur_pos >= 0
    if has_cur.any():
        idx = np.flatnonzero(has_cur)
        cp = cur_pos[idx]
        reach = pair_index(child_loc[idx], carer_site[cp]) >= 0
        if len(sa_pos):
            sa_keys = sa_pos * n_locs + sa_loc
            reach |= ar.member(cp * n_locs + child_loc[idx], sa_keys)
        reach &= cap_left[cp] > 0
        cur_pos[idx[~reach]] = -1
        has_cur = cur_pos >= 0
    continuity = bool(has_cur.any())
    change = w.change_penalty if (full and continuity) else 0

    # --- groups and hubs ---------------------------------------------------------------------
    hub_key = ar.keys(child_loc, c_int, c_lang, c_girl.astype(np.int64))
    group_key = ar.keys(hub_key, cur_pos + 1, forb_code)
    _, first, group_of = np.unique(group_key, return_index=True, return_inverse=True)
    group_of = group_of.reshape(-1)
    n_groups = len(first)
    g_size = np.bincount(group_of, minlength=n_groups).astype(np.int64)
    g_loc = child_loc[first]
    g_int, g_lang, g_girl = c_int[first], c_lang[first], c_girl[first].astype(np.int64)
    g_cur = cur_pos[first]
    g_forb = forb_code[first]
    g_hubkey = hub_key[first]
    total_supply = int(g_size.sum())
    inf = max(total_supply, 1)

    b = _Builder(inf)
    free = g_forb == 0  # groups that may use hubs
    if continuity:
        group_node = b.nodes(LEVEL_GROUP, n_groups)
        hub_keys, hub_first, hub_of_free = np.unique(
            g_hubkey[free], return_index=True, return_inverse=True
        )
        free_idx = np.flatnonzero(free)
        hub_node = b.nodes(LEVEL_HUB, len(hub_keys))
        b.arcs(group_node[free_idx], hub_node[hub_of_free.reshape(-1)], g_size[free_idx], change, 1)
        h_group = free_idx[hub_first]
    else:
        # without current pairs a free group is its own hub
        group_node = np.zeros(n_groups, dtype=np.int64)
        free_idx = np.flatnonzero(free)
        hub_node = b.nodes(LEVEL_HUB, len(free_idx))
        group_node[free_idx] = hub_node
        forb_idx = np.flatnonzero(~free)
        group_node[forb_idx] = b.nodes(LEVEL_GROUP, len(forb_idx))
        h_group = free_idx
    h_loc = g_loc[h_group]
    h_int, h_lang, h_girl = g_int[h_group], g_lang[h_group], g_girl[h_group]

    # --- carer nodes, classes, types ------------------------------------------------------------
    # A class (place, traits, service areas) with a single carer is that carer's node; a type
    # (place, traits) with a single class is that class's node.
    open_pos = np.flatnonzero(cap_left > 0).astype(np.int64)
    carer_node = np.full(len(role_carers), -1, dtype=np.int64)
    carer_node[open_pos] = b.nodes(LEVEL_CARER, len(open_pos))
    class_key = ar.keys(
        carer_site[open_pos],
        k_skill[open_pos],
        k_lang[open_pos],
        k_fem[open_pos].astype(np.int64),
        sa_code[open_pos],
    )
    _, cls_first, class_of = np.unique(class_key, return_index=True, return_inverse=True)
    class_of = class_of.reshape(-1)
    cls_pos = open_pos[cls_first]
    n_classes = len(cls_first)
    members = np.bincount(class_of, minlength=n_classes)
    class_node = np.empty(n_classes, dtype=np.int64)
    single = members == 1
    class_node[single] = carer_node[cls_pos[single]]
    shared = np.flatnonzero(~single)
    class_node[shared] = b.nodes(LEVEL_CLASS, len(shared))
    into_shared = ~single[class_of]
    b.arcs(
        class_node[class_of[into_shared]],
        carer_node[open_pos[into_shared]],
        cap_left[open_pos[into_shared]],
        0,
    )
    cls_site = carer_site[cls_pos]
    cls_skill, cls_lang = k_skill[cls_pos], k_lang[cls_pos]
    cls_fem = k_fem[cls_pos].astype(np.int64)

    type_key = ar.keys(cls_site, cls_skill, cls_lang, cls_fem)
    _, type_first, type_of_class = np.unique(type_key, return_index=True, return_inverse=True)
    type_of_class = type_of_class.reshape(-1)
    t_site = cls_site[type_first]
    t_skill, t_lang, t_fem = cls_skill[type_first], cls_lang[type_first], cls_fem[type_first]
    n_types = len(type_first)
    type_members = np.bincount(type_of_class, minlength=n_types)

    # --- distance arcs: carry the children's traits or the carers' ---------------------------
    hubs_at = np.bincount(h_loc, minlength=n_locs)
    classes_at = np.bincount(cls_site, minlength=max(n_sites, 1))
    keep = (hubs_at[pair_loc] > 0) & (classes_at[pair_site] > 0)
    carry_children = keep & (hubs_at[pair_loc] <= classes_at[pair_site])
    carry_carers = keep & ~carry_children
    dcost_pair = distance_cost_vec(pair_m, w.per_km) if full else pair_m

    hub_indptr, hub_rows = ar.csr(h_loc, n_locs)
    # children's traits travel: hub -> arrival (carer place, traits)
    pa = np.flatnonzero(carry_children)
    ia, hub_a = ar.expand(pair_loc[pa], hub_indptr, hub_rows)
    pa = pa[ia]
    arr_site = pair_site[pa]
    arr_key = ar.keys(arr_site, h_int[hub_a], h_lang[hub_a], h_girl[hub_a])
    _, arr_first, arr_of = np.unique(arr_key, return_index=True, return_inverse=True)
    arr_of = arr_of.reshape(-1)
    arrival_node = b.nodes(LEVEL_ARRIVAL, len(arr_first))
    b.arcs(hub_node[hub_a], arrival_node[arr_of], inf, dcost_pair[pa])
    arr_site_u = arr_site[arr_first]
    arr_hub = hub_a[arr_first]
    # the chain at carer places, from the arrivals to the types there
    t_idx = np.flatnonzero(ar.member(t_site, arr_site_u))
    m_type_node = np.full(n_types, -1, dtype=np.int64)
    one = type_members[t_idx] == 1
    class_of_type = np.empty(n_types, dtype=np.int64)
    class_of_type[type_of_class] = np.arange(n_classes, dtype=np.int64)  # any member class
    m_type_node[t_idx[one]] = class_node[class_of_type[t_idx[one]]]
    m_type_node[t_idx[~one]] = b.nodes(LEVEL_CARER_TYPE, int((~one).sum()))
    into = np.flatnonzero((m_type_node[type_of_class] >= 0) & (type_members[type_of_class] > 1))
    b.arcs(m_type_node[type_of_class[into]], class_node[into], inf, 0)
    _chain(
        b,
        traits,
        prep,
        LEVEL_ARRIVAL,
        a_node=arrival_node,
        a_site=arr_site_u,
        a_int=h_int[arr_hub],
        a_lang=h_lang[arr_hub],
        a_girl=h_girl[arr_hub],
        t_node=m_type_node[t_idx],
        t_site=t_site[t_idx],
        t_skill=t_skill[t_idx],
        t_lang=t_lang[t_idx],
        t_fem=t_fem[t_idx],
    )

    # carers' traits travel: (child place, carer type) -> class
    pb = np.flatnonzero(carry_carers)
    cls_indptr, cls_rows = ar.csr(cls_site, max(n_sites, 1))
    ib, cls_b = ar.expand(pair_site[pb], cls_indptr, cls_rows)
    pb = pb[ib]
    lt_loc = pair_loc[pb]
    lt_type = type_of_class[cls_b]
    lt_key = ar.keys(lt_loc, t_skill[lt_type], t_lang[lt_type], t_fem[lt_type])
    _, lt_first, lt_of = np.unique(lt_key, return_index=True, return_inverse=True)
    lt_of = lt_of.reshape(-1)
    lt_loc_u = lt_loc[lt_first]
    lt_type_u = lt_type[lt_first]
    l_type_node = b.nodes(LEVEL_PLACE_TYPE, len(lt_first))
    # the chain at children's places, from the hubs to the carer types within reach
    hub_needed = np.flatnonzero(ar.member(h_loc, lt_loc_u))
    _chain(
        b,
        traits,
        prep,
        LEVEL_HUB,
        a_node=hub_node[hub_needed],
        a_site=h_loc[hub_needed],
        a_int=h_int[hub_needed],
        a_lang=h_lang[hub_needed],
        a_girl=h_girl[hub_needed],
        t_node=l_type_node,
        t_site=lt_loc_u,
        t_skill=t_skill[lt_type_u],
        t_lang=t_lang[lt_type_u],
        t_fem=t_fem[lt_type_u],
    )
    b.arcs(l_type_node[lt_of], class_node[cls_b], inf, dcost_pair[pb])

    # service areas beyond reach: hub -> class directly, with the whole cost
    if len(sa_pos):
        open_sa = cap_left[sa_pos] > 0
        s_pos, s_loc, s_m = sa_pos[open_sa], sa_loc[open_sa], sa_m[open_sa]
        s_class = class_of[np.searchsorted(open_pos, s_pos)]
        s_key = ar.keys(s_loc, s_class)
        _, s_first = np.unique(s_key, return_index=True)
        s_loc, s_class, s_m = s_loc[s_first], s_class[s_first], s_m[s_first]
        js, hub_s = ar.expand(s_loc, hub_indptr, hub_rows)
        s_class, s_m = s_class[js], s_m[js]
        cost = distance_cost_vec(s_m, w.per_km) + _traits_cost(
            traits,
            prep,
            h_int[hub_s],
            h_lang[hub_s],
            h_girl[hub_s],
            cls_skill[s_class],
            cls_lang[s_class],
            cls_fem[s_class],
        )
        b.arcs(hub_node[hub_s], class_node[s_class], inf, cost)

    # --- continuity arcs and groups with forbidden carers: straight to carer nodes -----------
    direct_g: list[int] = []
    direct_k: list[int] = []
    direct_keep: list[int] = []
    g_reach = reach_place[g_loc].copy()
    for g in np.flatnonzero(g_cur >= 0).tolist():
        direct_g.append(g)
        direct_k.append(int(g_cur[g]))
        direct_keep.append(1)
    if len(forb_sets) > 1:
        site_indptr, site_rows = ar.csr(carer_site, max(n_sites, 1))
        pair_by_loc = ar.csr(pair_loc, n_locs)
        sa_by_loc = ar.csr(sa_loc, n_locs)
        for g in np.flatnonzero(g_forb > 0).tolist():
            loc = int(g_loc[g])
            banned = forb_sets[int(g_forb[g])]
            reachable: set[int] = set()
            for pair in pair_by_loc[1][pair_by_loc[0][loc] : pair_by_loc[0][loc + 1]].tolist():
                site = int(pair_site[pair])
                reachable.update(site_rows[site_indptr[site] : site_indptr[site + 1]].tolist())
            for row in sa_by_loc[1][sa_by_loc[0][loc] : sa_by_loc[0][loc + 1]].tolist():
                reachable.add(int(sa_pos[row]))
            reachable -= banned
            g_reach[g] = bool(reachable)
            for k in sorted(reachable):
                if cap_left[k] > 0 and k != g_cur[g]:
                    direct_g.append(g)
                    direct_k.append(k)
                    direct_keep.append(0)
    if direct_g:
        dg = np.asarray(direct_g, dtype=np.int64)
        dk = np.asarray(direct_k, dtype=np.int64)
        keep_arc = np.asarray(direct_keep, dtype=np.int64)
        km = exact_km(
            prep.loc_lat[g_loc[dg]],
            prep.loc_lon[g_loc[dg]],
            prep.carer_lat[role_carers[dk]],
            prep.carer_lon[role_carers[dk]],
        )
        dm = metres(km)
        cost = (distance_cost_vec(dm, w.per_km) if full else dm) + _traits_cost(
            traits,
            prep,
            g_int[dg],
            g_lang[dg],
            g_girl[dg],
            k_skill[dk],
            k_lang[dk],
            k_fem[dk].astype(np.int64),
        )
        cost = cost + change * (1 - keep_arc)
        for keep_flag in (1, 0):
            sel = keep_arc == keep_flag
            b.arcs(
                group_node[dg[sel]],
                carer_node[dk[sel]],
                g_size[dg[sel]],
                cost[sel],
                0 if keep_flag else 1,
            )

    # --- assemble --------------------------------------------------------------------------------
    level = b.cat(b.levels)
    supply = np.zeros(b.n, dtype=np.int64)
    np.add.at(supply, group_node, g_size)
    supply[carer_node[open_pos]] = -cap_left[open_pos]
    carer_node_of = np.full(b.n, -1, dtype=np.int64)
    carer_node_of[carer_node[open_pos]] = role_carers[open_pos]
    order = np.argsort(group_of, kind="stable").astype(np.int64)
    indptr = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(g_size, out=indptr[1:])
    n_continuity = int((g_cur >= 0).sum())
    return RoleNetwork(
        role=role,
        level=level,
        supply=supply,
        tails=b.cat(b.tails),
        heads=b.cat(b.heads),
        caps=b.cat(b.caps),
        primary=b.cat(b.costs),
        secondary=b.cat(b.secs) if continuity else np.zeros(len(b.cat(b.tails)), dtype=np.int64),
        multiplier=n_continuity + 2 if continuity else 1,
        group_node=group_node,
        group_indptr=indptr,
        group_children=flow_children[order],
        group_reachable=g_reach,
        carer_node_of=carer_node_of,
        locked_children=locked_children,
        locked_carers=locked[locked_children],
        no_consent=no_consent,
    )


def _same_region(a: IntArray, b: IntArray) -> BoolArray:
    """Pairs never cross regions; a missing region (-1) goes with any."""
    same: BoolArray = (a < 0) | (b < 0) | (a == b)
    return same


def distance_cost_vec(m: IntArray, per_km: int) -> IntArray:
    out: IntArray = (m * per_km + 500) // 1000
    return out


def _traits_cost(
    t: _Traits,
    prep: Prepared,
    c_int: IntArray,
    c_lang: IntArray,
    c_girl: IntArray,
    k_skill: IntArray,
    k_lang: IntArray,
    k_fem: IntArray,
) -> IntArray:
    """The soft-rule terms (costs.traits_cost) for arrays of (child traits, carer traits)."""
    cost = np.zeros(len(c_int), dtype=np.int64)
    if len(c_int) == 0:
        return cost
    if t.w_lang:
        key = c_lang * t.n_langs + k_lang
        uniq, inv = np.unique(key, return_inverse=True)
        sets = prep.langs.sets
        vals = np.array(
            [len(sets[u // t.n_langs] - sets[u % t.n_langs]) for u in uniq.tolist()],
            dtype=np.int64,
        )
        cost += t.w_lang * vals[inv.reshape(-1)]
    if t.vol:
        key = c_int * t.n_words + k_skill
        uniq, inv = np.unique(key, return_inverse=True)
        sets = prep.words.sets
        miss = np.array(
            [
                bool(sets[u // t.n_words]) and not (sets[u // t.n_words] & sets[u % t.n_words])
                for u in uniq.tolist()
            ],
            dtype=np.int64,
        )
        cost += t.w_int * miss[inv.reshape(-1)]
        cost += t.w_girl * (c_girl & (1 - k_fem))
    return cost


def _subsets(items: frozenset[str]) -> list[frozenset[str]]:
    ordered = sorted(items)
    return [frozenset(c) for r in range(len(ordered) + 1) for c in combinations(ordered, r)]


def _chain(
    b: _Builder,
    t: _Traits,
    prep: Prepared,
    base: int,
    *,
    a_node: IntArray,
    a_site: IntArray,
    a_int: IntArray,
    a_lang: IntArray,
    a_girl: IntArray,
    t_node: IntArray,
    t_site: IntArray,
    t_skill: IntArray,
    t_lang: IntArray,
    t_fem: IntArray,
) -> None:
    """Nodes and arcs from children's traits (a_*) to carer types (t_*) at the same places.

    Two stages. First each child's traits become a requirement (x, lambda, sigma): x one of the
    child's interests the carer must share, or 0 for any carer at the interest penalty; lambda
    the languages (besides the common ones) the carer must speak, each one given up at the
    language penalty; sigma 1 if the carer must be a woman, 0 for any carer (at the penalty for
    a girl over ten). Then each requirement leads to every carer type that meets it, at no
    cost. Only requirements that some type at the place meets are built. (A chain of one stage
    per trait has fewer arcs but is slower to solve: cost scaling dislikes deep networks.)
    """
    if len(a_node) == 0 or len(t_node) == 0:
        return
    langs, words = prep.langs, prep.words
    n_word_codes, n_lang_codes = len(words.sets), len(langs.sets)

    # tables: the subsets of each language set; the x of each interest set (0 first)
    sub_rows: list[list[int]] = [[] for _ in range(n_lang_codes)]
    for code in set(np.unique(a_lang).tolist()) | set(np.unique(t_lang).tolist()):
        sub_rows[code] = [langs.code(x) for x in _subsets(langs.sets[code])]
    sub_rows += [[] for _ in range(len(langs.sets) - len(sub_rows))]  # codes of new subsets
    sub_indptr, sub_values = ar.table(sub_rows)
    size = np.array([len(x) for x in langs.sets], dtype=np.int64)
    x_rows: list[list[int]] = [[0] for _ in range(n_word_codes)]
    for code in set(np.unique(a_int).tolist()) | set(np.unique(t_skill).tolist()):
        x_rows[code] = [0, *sorted(t.x_of_word[x] for x in words.sets[code] if x in t.x_of_word)]
    x_indptr, x_values = ar.table(x_rows)
    nonempty = np.array([bool(x) for x in words.sets], dtype=np.bool_)

    # the requirements each carer type meets: (x, lambda, sigma)
    ti, tx = ar.expand(t_skill, x_indptr, x_values)  # x among its skills, or any
    tj, tlam = ar.expand(t_lang[ti], sub_indptr, sub_values)  # lambda within its languages
    ti, tx = ti[tj], tx[tj]
    woman = np.flatnonzero(t_fem[ti] == 1)
    meets_type = np.concatenate([ti, ti[woman]])
    meets_x = np.concatenate([tx, tx[woman]])
    meets_lam = np.concatenate([tlam, tlam[woman]])
    meets_sig = np.concatenate(
        [np.zeros(len(ti), dtype=np.int64), np.ones(len(woman), dtype=np.int64)]
    )
    meets_site = t_site[meets_type]

    # stage 1: each child's traits -> the requirements it may take, at their penalties
    i, x = ar.expand(a_int, x_indptr, x_values)
    j, lam = ar.expand(a_lang[i], sub_indptr, sub_values)
    i, x = i[j], x[j]
    girls = np.flatnonzero(a_girl[i] == 1)
    k = np.concatenate([np.arange(len(i), dtype=np.int64), girls])
    sig = np.concatenate([np.zeros(len(i), dtype=np.int64), np.ones(len(girls), dtype=np.int64)])
    i, x, lam = i[k], x[k], lam[k]
    left, right = ar.keys2([a_site[i], x, lam, sig], [meets_site, meets_x, meets_lam, meets_sig])
    ok = ar.member(left, right)
    i, x, lam, sig, left = i[ok], x[ok], lam[ok], sig[ok], left[ok]
    cost = (
        np.where((x == 0) & nonempty[a_int[i]], t.w_int, 0)
        + t.w_lang * (size[a_lang[i]] - size[lam])
        + np.where((sig == 0) & (a_girl[i] == 1), t.w_girl, 0)
    ).astype(np.int64)
    req_keys, req_of = np.unique(left, return_inverse=True)
    req_node = b.nodes(base + 1, len(req_keys))
    b.arcs(a_node[i], req_node[req_of.reshape(-1)], b.inf, cost)

    # stage 2: each requirement -> every carer type at the place that meets it
    ri, ti = ar.join(req_keys, right)
    b.arcs(req_node[ri], t_node[meets_type[ti]], b.inf, 0)
