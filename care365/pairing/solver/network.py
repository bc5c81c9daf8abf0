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
from care365.pairing.solver.prepare import ROLE_CODE, BoolArray, FloatArray, IntArray, Prepared
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
    """The network of one role (see the module's docstring), built step by step.

    The steps add their nodes and arcs in this order, which fixes the node and arc numbering.
    """
    full = prep.params.objective == "full"
    vol = role == "volunteer"

    locks = _locks(prep, role)
    carers = _role_carers(prep, role, locks.used)
    flow = _flow_children(prep, role, vol=vol)
    pairs = _pairs_in_range(prep, carers, flow, float(prep.params.max_distance_km[role]))
    areas = _service_areas(prep, carers, pairs, full=full)
    codes = _project_traits(prep, flow, carers, full=full, vol=vol)
    current = _keepable_current(prep, role, flow, carers, pairs, areas)
    continuity = bool((current.pos >= 0).any())
    change = prep.params.weights.change_penalty if (full and continuity) else 0
    groups = _groups(flow, codes, current)

    b = _Builder(max(int(groups.size.sum()), 1))
    hubs = _group_and_hub_nodes(b, groups, pairs.n_locs, continuity=continuity, change=change)
    nodes = _carer_nodes(b, carers, codes, areas.code)
    _distance_arcs(b, prep, codes.rules, pairs, carers.n_sites, hubs, nodes, full=full)
    _service_area_arcs(b, prep, codes.rules, areas, carers, hubs, nodes)
    direct = _direct_pairs(groups, carers, pairs, areas, current.forbidden_sets)
    _direct_arcs(
        b, prep, codes, carers, groups, hubs.group_node, nodes, direct, full=full, change=change
    )
    return _assemble(b, role, locks, flow, carers, groups, hubs, nodes, direct, continuity)


@dataclass(slots=True)
class _Locks:
    """Children whose pair for the role is locked: kept as it is, outside the flow."""

    carer_of: IntArray  # per child: carer index of the lock, or -1
    children: IntArray
    used: IntArray  # per carer index: places taken by locks


def _locks(prep: Prepared, role: str) -> _Locks:
    """The role's locked pairs, and how many places of each carer they take."""
    locked = prep.locked[role]
    locked_children = np.flatnonzero(locked >= 0).astype(np.int64)
    used = np.bincount(locked[locked_children], minlength=len(prep.carer_ids))
    return _Locks(carer_of=locked, children=locked_children, used=used)


@dataclass(slots=True)
class _Carers:
    """The role's eligible carers, by role position, and the sites (place, region) they are at."""

    index: IntArray  # role position -> carer index
    position: IntArray  # carer index -> role position (-1 for other carers)
    cap_left: IntArray  # capacity left after the locks
    region: IntArray
    site: IntArray  # role position -> site
    site_xy: FloatArray  # per site: lat, lon, region
    site_region: IntArray
    n_sites: int


def _role_carers(prep: Prepared, role: str, used: IntArray) -> _Carers:
    """The carers of the role, their capacity left after the locks, and their sites."""
    role_carers = np.flatnonzero((prep.carer_role == ROLE_CODE[role]) & prep.carer_eligible).astype(
        np.int64
    )
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
    return _Carers(
        index=role_carers,
        position=position,
        cap_left=cap_left,
        region=k_region,
        site=carer_site,
        site_xy=site_xy,
        site_region=site_region,
        n_sites=n_sites,
    )


@dataclass(slots=True)
class _FlowChildren:
    """The role's children in the flow (not locked; for a volunteer, with consent)."""

    rows: IntArray  # child indices
    loc: IntArray  # their places
    no_consent: IntArray  # children left out for want of consent


def _flow_children(prep: Prepared, role: str, *, vol: bool) -> _FlowChildren:
    """The children the flow pairs: not locked, and for a volunteer, with consent."""
    in_flow = prep.locked[role] < 0
    no_consent = np.zeros(0, dtype=np.int64)
    if vol:
        no_consent = np.flatnonzero(in_flow & ~prep.child_consent).astype(np.int64)
        in_flow &= prep.child_consent
    flow_children = np.flatnonzero(in_flow).astype(np.int64)
    return _FlowChildren(
        rows=flow_children, loc=prep.child_loc[flow_children], no_consent=no_consent
    )


@dataclass(slots=True)
class _Pairs:
    """The (children's place, carers' site) pairs within reach, in the same region."""

    places: IntArray  # the children's places
    loc: IntArray
    site: IntArray
    m: IntArray  # metres
    n_locs: int
    stride: int  # sites per place in a pair key
    key_order: IntArray  # the pairs in the order of their keys
    keys_sorted: IntArray

    def index(self, loc: IntArray, site: IntArray) -> IntArray:
        """Index of the in-range pair (loc, site), -1 if out of range."""
        if len(self.keys_sorted) == 0:
            return np.full(len(loc), -1, dtype=np.int64)
        k = loc * self.stride + site
        pos = np.minimum(np.searchsorted(self.keys_sorted, k), len(self.keys_sorted) - 1)
        found: IntArray = np.where(self.keys_sorted[pos] == k, self.key_order[pos], -1)
        return found


def _pairs_in_range(prep: Prepared, carers: _Carers, flow: _FlowChildren, max_km: float) -> _Pairs:
    """Candidate distance arcs: the children's places and the carers' sites within max_km of
    each other that do not cross regions."""
    places = np.unique(flow.loc)
    site_xy = carers.site_xy
    pi, pm, pkm = pairs_within(
        prep.loc_lat[places], prep.loc_lon[places], site_xy[:, 0], site_xy[:, 1], max_km
    )
    same = _same_region(prep.loc_region[places[pi]], carers.site_region[pm])
    pair_loc = places[pi[same]]
    pair_site = pm[same]
    pair_m = metres(pkm[same])
    stride = max(carers.n_sites, 1)
    pair_key = pair_loc * stride + pair_site
    pair_order = np.argsort(pair_key, kind="stable")
    return _Pairs(
        places=places,
        loc=pair_loc,
        site=pair_site,
        m=pair_m,
        n_locs=len(prep.loc_lat),
        stride=stride,
        key_order=pair_order,
        keys_sorted=pair_key[pair_order],
    )


@dataclass(slots=True)
class _ServiceAreas:
    """(carer, place) pairs beyond reach that the carer serves (the "full" objective only)."""

    code: IntArray  # per role position: code in prep.sa_sets (0 with the "distance" objective)
    pos: IntArray  # role position
    loc: IntArray  # place
    m: IntArray  # metres


def _service_areas(prep: Prepared, carers: _Carers, pairs: _Pairs, *, full: bool) -> _ServiceAreas:
    """Candidate arcs beyond reach: the places of the villages a carer serves (the "full"
    objective only) that are not within reach of the carer's site, in the same region."""
    role_carers = carers.index
    # service areas (the "full" objective only): carers that serve a place's village
    sa_code = prep.carer_sa[role_carers] if full else np.zeros(len(role_carers), dtype=np.int64)
    sa_rows: list[list[int]] = [sorted(s) for s in prep.sa_sets]
    sa_indptr, sa_values = ar.table(sa_rows)
    served_carer, served_area = ar.expand(sa_code, sa_indptr, sa_values)
    # (role position, area) -> places of that area
    places = pairs.places
    loc_area = prep.loc_area
    used_places = places[loc_area[places] >= 0]
    area_indptr, area_places = ar.csr(loc_area[used_places], max(len(prep.areas), 1))
    area_places = used_places[area_places]
    sj, sloc = ar.expand(served_area, area_indptr, area_places)
    sa_pos = served_carer[sj]  # role position
    sa_loc = sloc
    beyond = pairs.index(sa_loc, carers.site[sa_pos]) < 0
    beyond &= _same_region(prep.loc_region[sa_loc], carers.region[sa_pos])
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
    return _ServiceAreas(code=sa_code, pos=sa_pos, loc=sa_loc, m=sa_m)


@dataclass(slots=True)
class _TraitCodes:
    """The traits of the flow's children (c_*) and of the role's carers (k_*, by role position),
    projected to what the role's costs look at, and the soft rules' weights and tables."""

    c_int: IntArray
    c_lang: IntArray
    c_girl: BoolArray
    k_skill: IntArray
    k_lang: IntArray
    k_fem: BoolArray
    rules: _Traits


def _project_traits(
    prep: Prepared, flow: _FlowChildren, carers: _Carers, *, full: bool, vol: bool
) -> _TraitCodes:
    """Project the traits to what the role's costs look at: none with the "distance" objective;
    languages for every role and interests and sex for a volunteer with the "full" one. A
    carer's skills and languages are cut down to those some child of the flow has."""
    flow_children, role_carers = flow.rows, carers.index
    w = prep.params.weights
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
    rules = _Traits(
        vol=full and vol,
        w_int=w.interest_mismatch if full and vol else 0,
        w_lang=w.language_mismatch if full else 0,
        w_girl=w.woman_volunteer_for_girl_over_ten if full and vol else 0,
        n_words=len(words.sets),
        n_langs=len(langs.sets),
        x_of_word={word: i + 1 for i, word in enumerate(sorted(union_words))},
    )
    return _TraitCodes(
        c_int=c_int,
        c_lang=c_lang,
        c_girl=c_girl,
        k_skill=k_skill,
        k_lang=k_lang,
        k_fem=k_fem,
        rules=rules,
    )


@dataclass(slots=True)
class _Current:
    """Per child of the flow: the current carer that can be kept, and the forbidden carers."""

    pos: IntArray  # role position of the current carer that can be kept, or -1
    forbidden_code: IntArray  # index into forbidden_sets (0: none)
    forbidden_sets: list[frozenset[int]]  # sets of role positions


def _keepable_current(
    prep: Prepared,
    role: str,
    flow: _FlowChildren,
    carers: _Carers,
    pairs: _Pairs,
    areas: _ServiceAreas,
) -> _Current:
    """The current carers that can be kept (not forbidden, within reach or serving the child's
    village, with capacity left), and each child's set of forbidden carers as a code."""
    flow_children, child_loc, position = flow.rows, flow.loc, carers.position
    n_locs = pairs.n_locs
    cur = prep.current[role][flow_children]
    cur_pos = np.full(len(cur), -1, dtype=np.int64)
    cur_pos[cur >= 0] = position[cur[cur >= 0]]
    forb_map = prep.forbidden[role]
    forb_code = np.zeros(len(flow_children), dtype=np.int64)
    forb_sets: list[frozenset[int]] = [frozenset()]
    forb_index: dict[frozenset[int], int] = {frozenset(): 0}
    if forb_map:
        row_of = {int(c): i for i, c in enumerate(flow_children.tolist())}
        for child, carer_set in forb_map.items():
            i = row_of.get(child)
            if i is None:
                continue
            ks = frozenset(int(position[k]) for k in carer_set if position[k] >= 0)
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
        reach = pairs.index(child_loc[idx], carers.site[cp]) >= 0
        if len(areas.pos):
            sa_keys = areas.pos * n_locs + areas.loc
            reach |= ar.member(cp * n_locs + child_loc[idx], sa_keys)
        reach &= carers.cap_left[cp] > 0
        cur_pos[idx[~reach]] = -1
    return _Current(pos=cur_pos, forbidden_code=forb_code, forbidden_sets=forb_sets)


@dataclass(slots=True)
class _Groups:
    """Interchangeable children (same place, traits, current carer, forbidden carers)."""

    of: IntArray  # per child of the flow: its group
    n: int
    size: IntArray
    loc: IntArray
    int_: IntArray
    lang: IntArray
    girl: IntArray  # 0/1
    cur: IntArray  # role position of the current carer kept, or -1
    forb: IntArray  # forbidden-set code
    hubkey: IntArray


def _groups(flow: _FlowChildren, codes: _TraitCodes, current: _Current) -> _Groups:
    """Group the children who are interchangeable for the role: one supply node per group."""
    child_loc, c_int, c_lang, c_girl = flow.loc, codes.c_int, codes.c_lang, codes.c_girl
    hub_key = ar.keys(child_loc, c_int, c_lang, c_girl.astype(np.int64))
    group_key = ar.keys(hub_key, current.pos + 1, current.forbidden_code)
    _, first, group_of = np.unique(group_key, return_index=True, return_inverse=True)
    group_of = group_of.reshape(-1)
    n_groups = len(first)
    return _Groups(
        of=group_of,
        n=n_groups,
        size=np.bincount(group_of, minlength=n_groups).astype(np.int64),
        loc=child_loc[first],
        int_=c_int[first],
        lang=c_lang[first],
        girl=c_girl[first].astype(np.int64),
        cur=current.pos[first],
        forb=current.forbidden_code[first],
        hubkey=hub_key[first],
    )


@dataclass(slots=True)
class _Hubs:
    """The supply node of each group and the hubs (place, traits) the free groups go through."""

    group_node: IntArray
    node: IntArray
    loc: IntArray
    int_: IntArray
    lang: IntArray
    girl: IntArray
    at_indptr: IntArray  # hubs by place (CSR)
    at_rows: IntArray


def _group_and_hub_nodes(
    b: _Builder, groups: _Groups, n_locs: int, *, continuity: bool, change: int
) -> _Hubs:
    """Supply nodes for the groups and hub nodes for the free ones (no forbidden carer), with
    the arcs group -> hub that carry the change penalty. Without current pairs a free group is
    its own hub."""
    free = groups.forb == 0  # groups that may use hubs
    if continuity:
        group_node = b.nodes(LEVEL_GROUP, groups.n)
        hub_keys, hub_first, hub_of_free = np.unique(
            groups.hubkey[free], return_index=True, return_inverse=True
        )
        free_idx = np.flatnonzero(free)
        hub_node = b.nodes(LEVEL_HUB, len(hub_keys))
        b.arcs(
            group_node[free_idx],
            hub_node[hub_of_free.reshape(-1)],
            groups.size[free_idx],
            change,
            1,
        )
        h_group = free_idx[hub_first]
    else:
        # without current pairs a free group is its own hub
        group_node = np.zeros(groups.n, dtype=np.int64)
        free_idx = np.flatnonzero(free)
        hub_node = b.nodes(LEVEL_HUB, len(free_idx))
        group_node[free_idx] = hub_node
        forb_idx = np.flatnonzero(~free)
        group_node[forb_idx] = b.nodes(LEVEL_GROUP, len(forb_idx))
        h_group = free_idx
    h_loc = groups.loc[h_group]
    at_indptr, at_rows = ar.csr(h_loc, n_locs)
    return _Hubs(
        group_node=group_node,
        node=hub_node,
        loc=h_loc,
        int_=groups.int_[h_group],
        lang=groups.lang[h_group],
        girl=groups.girl[h_group],
        at_indptr=at_indptr,
        at_rows=at_rows,
    )


@dataclass(slots=True)
class _CarerNodes:
    """Carer nodes (those with capacity left), classes and types."""

    open_pos: IntArray  # role positions with capacity left
    carer_node: IntArray  # per role position, -1 without capacity
    class_of: IntArray  # per open carer
    class_node: IntArray
    n_classes: int
    cls_site: IntArray
    cls_skill: IntArray
    cls_lang: IntArray
    cls_fem: IntArray
    type_of_class: IntArray
    t_site: IntArray
    t_skill: IntArray
    t_lang: IntArray
    t_fem: IntArray
    n_types: int
    type_members: IntArray


def _carer_nodes(
    b: _Builder, carers: _Carers, codes: _TraitCodes, sa_code: IntArray
) -> _CarerNodes:
    """Capacities: one node per carer with capacity left (its demand); the carers of a class
    (place, traits, service areas) share a class node with arcs of each carer's capacity, and
    the classes of a type (place, traits) are grouped. A class with a single carer is that
    carer's node; a type with a single class is that class's node (built where it is used)."""
    cap_left, carer_site = carers.cap_left, carers.site
    k_skill, k_lang, k_fem = codes.k_skill, codes.k_lang, codes.k_fem
    open_pos = np.flatnonzero(cap_left > 0).astype(np.int64)
    carer_node = np.full(len(carers.index), -1, dtype=np.int64)
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
    n_types = len(type_first)
    return _CarerNodes(
        open_pos=open_pos,
        carer_node=carer_node,
        class_of=class_of,
        class_node=class_node,
        n_classes=n_classes,
        cls_site=cls_site,
        cls_skill=cls_skill,
        cls_lang=cls_lang,
        cls_fem=cls_fem,
        type_of_class=type_of_class,
        t_site=cls_site[type_first],
        t_skill=cls_skill[type_first],
        t_lang=cls_lang[type_first],
        t_fem=cls_fem[type_first],
        n_types=n_types,
        type_members=np.bincount(type_of_class, minlength=n_types),
    )


def _distance_arcs(
    b: _Builder,
    prep: Prepared,
    rules: _Traits,
    pairs: _Pairs,
    n_sites: int,
    hubs: _Hubs,
    nodes: _CarerNodes,
    *,
    full: bool,
) -> None:
    """The arcs for the pairs of places within reach, with their distance cost: each pair
    carries the children's traits or the carers', whichever needs fewer arcs."""
    hubs_at = np.bincount(hubs.loc, minlength=pairs.n_locs)
    classes_at = np.bincount(nodes.cls_site, minlength=max(n_sites, 1))
    keep = (hubs_at[pairs.loc] > 0) & (classes_at[pairs.site] > 0)
    carry_children = keep & (hubs_at[pairs.loc] <= classes_at[pairs.site])
    carry_carers = keep & ~carry_children
    per_km = prep.params.weights.per_km
    dcost_pair = distance_cost_vec(pairs.m, per_km) if full else pairs.m
    _carry_children_traits(
        b, prep, rules, pairs, np.flatnonzero(carry_children), dcost_pair, hubs, nodes
    )
    _carry_carer_traits(
        b, prep, rules, pairs, np.flatnonzero(carry_carers), dcost_pair, n_sites, hubs, nodes
    )


def _carry_children_traits(
    b: _Builder,
    prep: Prepared,
    rules: _Traits,
    pairs: _Pairs,
    pa: IntArray,
    dcost_pair: IntArray,
    hubs: _Hubs,
    nodes: _CarerNodes,
) -> None:
    """Children's traits travel: hub -> arrival (carer's place, traits) at the distance cost,
    then the chain at the carer's place from the arrivals to the carer types there."""
    inf = b.inf
    ia, hub_a = ar.expand(pairs.loc[pa], hubs.at_indptr, hubs.at_rows)
    pa = pa[ia]
    arr_site = pairs.site[pa]
    arr_key = ar.keys(arr_site, hubs.int_[hub_a], hubs.lang[hub_a], hubs.girl[hub_a])
    _, arr_first, arr_of = np.unique(arr_key, return_index=True, return_inverse=True)
    arr_of = arr_of.reshape(-1)
    arrival_node = b.nodes(LEVEL_ARRIVAL, len(arr_first))
    b.arcs(hubs.node[hub_a], arrival_node[arr_of], inf, dcost_pair[pa])
    arr_site_u = arr_site[arr_first]
    arr_hub = hub_a[arr_first]
    # the chain at carer places, from the arrivals to the types there
    n_types, type_of_class, class_node = nodes.n_types, nodes.type_of_class, nodes.class_node
    t_idx = np.flatnonzero(ar.member(nodes.t_site, arr_site_u))
    m_type_node = np.full(n_types, -1, dtype=np.int64)
    one = nodes.type_members[t_idx] == 1
    class_of_type = np.empty(n_types, dtype=np.int64)
    class_of_type[type_of_class] = np.arange(nodes.n_classes, dtype=np.int64)  # any member class
    m_type_node[t_idx[one]] = class_node[class_of_type[t_idx[one]]]
    m_type_node[t_idx[~one]] = b.nodes(LEVEL_CARER_TYPE, int((~one).sum()))
    into = np.flatnonzero(
        (m_type_node[type_of_class] >= 0) & (nodes.type_members[type_of_class] > 1)
    )
    b.arcs(m_type_node[type_of_class[into]], class_node[into], inf, 0)
    _chain(
        b,
        rules,
        prep,
        LEVEL_ARRIVAL,
        a_node=arrival_node,
        a_site=arr_site_u,
        a_int=hubs.int_[arr_hub],
        a_lang=hubs.lang[arr_hub],
        a_girl=hubs.girl[arr_hub],
        t_node=m_type_node[t_idx],
        t_site=nodes.t_site[t_idx],
        t_skill=nodes.t_skill[t_idx],
        t_lang=nodes.t_lang[t_idx],
        t_fem=nodes.t_fem[t_idx],
    )


def _carry_carer_traits(
    b: _Builder,
    prep: Prepared,
    rules: _Traits,
    pairs: _Pairs,
    pb: IntArray,
    dcost_pair: IntArray,
    n_sites: int,
    hubs: _Hubs,
    nodes: _CarerNodes,
) -> None:
    """Carers' traits travel: the chain at the child's place, from the hubs to nodes (child's
    place, carer type), then (child's place, carer type) -> class at the distance cost."""
    type_of_class, t_skill, t_lang, t_fem = (
        nodes.type_of_class,
        nodes.t_skill,
        nodes.t_lang,
        nodes.t_fem,
    )
    cls_indptr, cls_rows = ar.csr(nodes.cls_site, max(n_sites, 1))
    ib, cls_b = ar.expand(pairs.site[pb], cls_indptr, cls_rows)
    pb = pb[ib]
    lt_loc = pairs.loc[pb]
    lt_type = type_of_class[cls_b]
    lt_key = ar.keys(lt_loc, t_skill[lt_type], t_lang[lt_type], t_fem[lt_type])
    _, lt_first, lt_of = np.unique(lt_key, return_index=True, return_inverse=True)
    lt_of = lt_of.reshape(-1)
    lt_loc_u = lt_loc[lt_first]
    lt_type_u = lt_type[lt_first]
    l_type_node = b.nodes(LEVEL_PLACE_TYPE, len(lt_first))
    # the chain at children's places, from the hubs to the carer types within reach
    hub_needed = np.flatnonzero(ar.member(hubs.loc, lt_loc_u))
    _chain(
        b,
        rules,
        prep,
        LEVEL_HUB,
        a_node=hubs.node[hub_needed],
        a_site=hubs.loc[hub_needed],
        a_int=hubs.int_[hub_needed],
        a_lang=hubs.lang[hub_needed],
        a_girl=hubs.girl[hub_needed],
        t_node=l_type_node,
        t_site=lt_loc_u,
        t_skill=t_skill[lt_type_u],
        t_lang=t_lang[lt_type_u],
        t_fem=t_fem[lt_type_u],
    )
    b.arcs(l_type_node[lt_of], nodes.class_node[cls_b], b.inf, dcost_pair[pb])


def _service_area_arcs(
    b: _Builder,
    prep: Prepared,
    rules: _Traits,
    areas: _ServiceAreas,
    carers: _Carers,
    hubs: _Hubs,
    nodes: _CarerNodes,
) -> None:
    """Service areas beyond reach: hub -> class directly, with the whole cost (distance and
    soft rules), for the classes with capacity left."""
    if not len(areas.pos):
        return
    open_sa = carers.cap_left[areas.pos] > 0
    s_pos, s_loc, s_m = areas.pos[open_sa], areas.loc[open_sa], areas.m[open_sa]
    s_class = nodes.class_of[np.searchsorted(nodes.open_pos, s_pos)]
    s_key = ar.keys(s_loc, s_class)
    _, s_first = np.unique(s_key, return_index=True)
    s_loc, s_class, s_m = s_loc[s_first], s_class[s_first], s_m[s_first]
    js, hub_s = ar.expand(s_loc, hubs.at_indptr, hubs.at_rows)
    s_class, s_m = s_class[js], s_m[js]
    cost = distance_cost_vec(s_m, prep.params.weights.per_km) + _traits_cost(
        rules,
        prep,
        hubs.int_[hub_s],
        hubs.lang[hub_s],
        hubs.girl[hub_s],
        nodes.cls_skill[s_class],
        nodes.cls_lang[s_class],
        nodes.cls_fem[s_class],
    )
    b.arcs(hubs.node[hub_s], nodes.class_node[s_class], b.inf, cost)


@dataclass(slots=True)
class _Direct:
    """Arcs group -> carer node, and which groups reach any carer at all."""

    group: IntArray
    carer: IntArray  # role position
    keep: IntArray  # 1 on the arc that keeps the current pair
    reachable: BoolArray  # per group


def _direct_pairs(
    groups: _Groups,
    carers: _Carers,
    pairs: _Pairs,
    areas: _ServiceAreas,
    forb_sets: list[frozenset[int]],
) -> _Direct:
    """Candidate arcs straight from a group to a carer's node: the continuity arc of each group
    with a current carer kept, and for a group with forbidden carers one arc per other carer
    within reach or serving its village, with capacity left (such a group uses no hub). Also
    which groups reach some carer."""
    n_locs, n_sites = pairs.n_locs, carers.n_sites
    g_loc, g_cur, g_forb = groups.loc, groups.cur, groups.forb
    reach_place = np.zeros(n_locs, dtype=np.bool_)
    reach_place[pairs.loc] = True
    reach_place[areas.loc] = True
    direct_g: list[int] = []
    direct_k: list[int] = []
    direct_keep: list[int] = []
    g_reach = reach_place[g_loc].copy()
    for g in np.flatnonzero(g_cur >= 0).tolist():
        direct_g.append(g)
        direct_k.append(int(g_cur[g]))
        direct_keep.append(1)
    if len(forb_sets) > 1:
        site_indptr, site_rows = ar.csr(carers.site, max(n_sites, 1))
        pair_by_loc = ar.csr(pairs.loc, n_locs)
        sa_by_loc = ar.csr(areas.loc, n_locs)
        for g in np.flatnonzero(g_forb > 0).tolist():
            loc = int(g_loc[g])
            banned = forb_sets[int(g_forb[g])]
            reachable: set[int] = set()
            for pair in pair_by_loc[1][pair_by_loc[0][loc] : pair_by_loc[0][loc + 1]].tolist():
                site = int(pairs.site[pair])
                reachable.update(site_rows[site_indptr[site] : site_indptr[site + 1]].tolist())
            for row in sa_by_loc[1][sa_by_loc[0][loc] : sa_by_loc[0][loc + 1]].tolist():
                reachable.add(int(areas.pos[row]))
            reachable -= banned
            g_reach[g] = bool(reachable)
            for k in sorted(reachable):
                if carers.cap_left[k] > 0 and k != g_cur[g]:
                    direct_g.append(g)
                    direct_k.append(k)
                    direct_keep.append(0)
    return _Direct(
        group=np.asarray(direct_g, dtype=np.int64),
        carer=np.asarray(direct_k, dtype=np.int64),
        keep=np.asarray(direct_keep, dtype=np.int64),
        reachable=g_reach,
    )


def _direct_arcs(
    b: _Builder,
    prep: Prepared,
    codes: _TraitCodes,
    carers: _Carers,
    groups: _Groups,
    group_node: IntArray,
    nodes: _CarerNodes,
    direct: _Direct,
    *,
    full: bool,
    change: int,
) -> None:
    """Add the direct arcs with their whole cost: distance, soft rules, and the change penalty
    on the arcs that do not keep the current pair (the arcs that keep it first)."""
    if not len(direct.group):
        return
    dg, dk, keep_arc = direct.group, direct.carer, direct.keep
    role_carers, g_loc = carers.index, groups.loc
    km = exact_km(
        prep.loc_lat[g_loc[dg]],
        prep.loc_lon[g_loc[dg]],
        prep.carer_lat[role_carers[dk]],
        prep.carer_lon[role_carers[dk]],
    )
    dm = metres(km)
    cost = (distance_cost_vec(dm, prep.params.weights.per_km) if full else dm) + _traits_cost(
        codes.rules,
        prep,
        groups.int_[dg],
        groups.lang[dg],
        groups.girl[dg],
        codes.k_skill[dk],
        codes.k_lang[dk],
        codes.k_fem[dk].astype(np.int64),
    )
    cost = cost + change * (1 - keep_arc)
    for keep_flag in (1, 0):
        sel = keep_arc == keep_flag
        b.arcs(
            group_node[dg[sel]],
            nodes.carer_node[dk[sel]],
            groups.size[dg[sel]],
            cost[sel],
            0 if keep_flag else 1,
        )


def _assemble(
    b: _Builder,
    role: str,
    locks: _Locks,
    flow: _FlowChildren,
    carers: _Carers,
    groups: _Groups,
    hubs: _Hubs,
    nodes: _CarerNodes,
    direct: _Direct,
    continuity: bool,
) -> RoleNetwork:
    """The network's arrays: supplies (each group's size) and demands (each open carer's
    capacity left), the arcs, the groups' children, and what stays outside the flow."""
    group_node, open_pos, carer_node = hubs.group_node, nodes.open_pos, nodes.carer_node
    level = b.cat(b.levels)
    supply = np.zeros(b.n, dtype=np.int64)
    np.add.at(supply, group_node, groups.size)
    supply[carer_node[open_pos]] = -carers.cap_left[open_pos]
    carer_node_of = np.full(b.n, -1, dtype=np.int64)
    carer_node_of[carer_node[open_pos]] = carers.index[open_pos]
    order = np.argsort(groups.of, kind="stable").astype(np.int64)
    indptr = np.zeros(groups.n + 1, dtype=np.int64)
    np.cumsum(groups.size, out=indptr[1:])
    n_continuity = int((groups.cur >= 0).sum())
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
        group_children=flow.rows[order],
        group_reachable=direct.reachable,
        carer_node_of=carer_node_of,
        locked_children=locks.children,
        locked_carers=locks.carer_of[locks.children],
        no_consent=flow.no_consent,
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
