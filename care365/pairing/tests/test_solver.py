"""The pairing solver against an independent reference, on random small instances.

The reference below shares nothing with the solver but the documented rules (docs/pairing.md)
and `haversine_km`: one node per child, one arc per allowed (child, carer) pair with its cost
written out again here, and a plain successive-shortest-path min-cost max-flow.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from care365.areas.geo import haversine_km
from care365.pairing.solver import (
    ROLES,
    CarerIn,
    ChildIn,
    Instance,
    Params,
    Result,
    Weights,
    greedy,
    solve,
)

VILLAGES = [  # (lat, lon, code): up to about 16 km apart
    (27.97, 119.63, "v1"),
    (27.99, 119.66, "v2"),
    (28.05, 119.70, "v3"),
    (27.90, 119.58, "v4"),
]
WORDS = ("music", "art", "sport")
LANGS = ("mandarin", "she", "wu")
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


# --- the reference ------------------------------------------------------------------------------


def reachable(instance: Instance, child: ChildIn, carer: CarerIn) -> bool:
    """Eligible, of a compatible region, and within reach (distance, or service area)."""
    p = instance.params
    if not carer.eligible:
        return False
    if child.region is not None and carer.region is not None and child.region != carer.region:
        return False
    km = haversine_km(child.lat, child.lon, carer.lat, carer.lon)
    if km <= p.max_distance_km[carer.role]:
        return True
    return p.objective == "full" and child.area is not None and child.area in carer.service_areas


def reference_cost(instance: Instance, child: ChildIn, carer: CarerIn) -> int:
    p = instance.params
    metres = round(haversine_km(child.lat, child.lon, carer.lat, carer.lon) * 1000)
    if p.objective == "distance":
        return metres
    w = p.weights
    cost = (metres * w.per_km + 500) // 1000
    spoken = set(child.languages) - set(p.common_languages)
    cost += w.language_mismatch * len(spoken - set(carer.languages))
    if carer.role == "volunteer":
        if child.interests and not set(child.interests) & set(carer.skills):
            cost += w.interest_mismatch
        if child.sex == "F" and child.age is not None and child.age > 10 and carer.sex != "F":
            cost += w.woman_volunteer_for_girl_over_ten
    if child.current.get(carer.role) != carer.id:
        cost += w.change_penalty
    return cost


def lock_holds(instance: Instance, child: ChildIn, role: str) -> str | None:
    carer_id = child.locked.get(role)
    if carer_id is None:
        return None
    carer = next(k for k in instance.carers if k.id == carer_id)
    if not carer.eligible or (role == "volunteer" and not child.consent):
        return None
    return carer_id


def min_cost_max_flow(
    n: int, arcs: list[tuple[int, int, int, int]], source: int, sink: int
) -> tuple[int, int, dict[int, int]]:
    """Successive shortest paths (Bellman-Ford): (flow, cost, flow on each arc index)."""
    graph: list[list[int]] = [[] for _ in range(n)]
    to: list[int] = []
    cap: list[int] = []
    cost: list[int] = []
    for u, v, c, w in arcs:
        for a, b, cc, ww in ((u, v, c, w), (v, u, 0, -w)):
            graph[a].append(len(to))
            to.append(b)
            cap.append(cc)
            cost.append(ww)
    flow = total = 0
    while True:
        dist: list[int | None] = [None] * n
        prev: list[int] = [-1] * n
        dist[source] = 0
        for _ in range(n):
            changed = False
            for u in range(n):
                du = dist[u]
                if du is None:
                    continue
                for e in graph[u]:
                    if cap[e] > 0:
                        nd = du + cost[e]
                        dv = dist[to[e]]
                        if dv is None or nd < dv:
                            dist[to[e]] = nd
                            prev[to[e]] = e
                            changed = True
            if not changed:
                break
        if dist[sink] is None:
            break
        push, v = None, sink
        while v != source:
            e = prev[v]
            push = cap[e] if push is None else min(push, cap[e])
            v = to[e ^ 1]
        assert push is not None
        v = sink
        while v != source:
            e = prev[v]
            cap[e] -= push
            cap[e ^ 1] += push
            v = to[e ^ 1]
        flow += push
        total += push * dist[sink]  # type: ignore[operator]  # dist[sink] is set here
    used = {i: cap[2 * i + 1] for i in range(len(arcs))}
    return flow, total, used


def reference(instance: Instance, role: str) -> tuple[int, int]:
    """(children paired, their total cost) for the role, locked pairs left out."""
    carers = [k for k in instance.carers if k.role == role]
    locks = Counter(
        lock for c in instance.children if (lock := lock_holds(instance, c, role)) is not None
    )
    free = [
        c
        for c in instance.children
        if lock_holds(instance, c, role) is None and (role != "volunteer" or c.consent)
    ]
    n = len(free) + len(carers) + 2
    source, sink = n - 2, n - 1
    arcs: list[tuple[int, int, int, int]] = []
    for i, child in enumerate(free):
        arcs.append((source, i, 1, 0))
        banned = set(child.forbidden.get(role, ()))
        for j, carer in enumerate(carers):
            if carer.id not in banned and reachable(instance, child, carer):
                arcs.append((i, len(free) + j, 1, reference_cost(instance, child, carer)))
    for j, carer in enumerate(carers):
        left = carer.capacity - locks[carer.id]
        if left > 0:
            arcs.append((len(free) + j, sink, left, 0))
    flow, cost, _ = min_cost_max_flow(n, arcs, source, sink)
    return flow, cost


# --- random instances ---------------------------------------------------------------------------


@dataclass
class Spec:
    objective: str
    weights: Weights
    max_km: dict[str, float]
    children: list[ChildIn] = field(default_factory=list)
    carers: list[CarerIn] = field(default_factory=list)

    def instance(self) -> Instance:
        params = Params(
            objective="distance" if self.objective == "distance" else "full",
            max_distance_km=self.max_km,
            weights=self.weights,
        )
        return Instance(params=params, children=self.children, carers=self.carers)


@st.composite
def instances(draw: st.DrawFn, *, rules: bool = True) -> Instance:
    objective = draw(st.sampled_from(["full", "full", "distance"]))
    weights = Weights(
        per_km=draw(st.sampled_from([1000, 1000, 250, 0])),
        interest_mismatch=draw(st.integers(0, 4000)),
        language_mismatch=draw(st.integers(0, 4000)),
        woman_volunteer_for_girl_over_ten=draw(st.integers(0, 6000)),
        change_penalty=draw(st.sampled_from([0, 2000, 5000])),
    )
    max_km = {role: float(draw(st.sampled_from([5, 10, 20]))) for role in ROLES}
    spec = Spec(objective, weights, max_km)
    regions: list[str | None] = draw(st.sampled_from([[None], [None, "r1"], ["r1", "r2"]]))
    subsets = st.lists(st.sampled_from(WORDS), max_size=2, unique=True).map(tuple)
    lang_sets = st.lists(st.sampled_from(LANGS), max_size=2, unique=True).map(tuple)
    for k in range(draw(st.integers(0, 7))):
        role = draw(st.sampled_from(ROLES))
        if draw(st.booleans()):
            lat, lon, _ = draw(st.sampled_from(VILLAGES))
        else:
            lat = draw(st.floats(27.88, 28.07))
            lon = draw(st.floats(119.55, 119.72))
        spec.carers.append(
            CarerIn(
                id=f"k{k}",
                role=role,
                lat=lat,
                lon=lon,
                capacity=draw(st.integers(0, 3)),
                sex=draw(st.sampled_from(["M", "F", None])),
                skills=draw(subsets),
                languages=draw(lang_sets),
                eligible=draw(st.sampled_from([True, True, True, False])),
                service_areas=tuple(
                    draw(st.lists(st.sampled_from([v[2] for v in VILLAGES]), max_size=2))
                ),
                region=draw(st.sampled_from(regions)),
            )
        )
    ids = [k.id for k in spec.carers] + ["gone"]
    for i in range(draw(st.integers(0, 9))):
        lat, lon, code = draw(st.sampled_from(VILLAGES))
        child = ChildIn(
            id=f"c{i}",
            lat=lat,
            lon=lon,
            sex=draw(st.sampled_from(["M", "F", None])),
            age=draw(st.sampled_from([None, 5, 10, 11, 15])),
            interests=draw(subsets),
            languages=draw(lang_sets),
            consent=draw(st.booleans()),
            area=code,
            region=draw(st.sampled_from(regions)),
        )
        if rules:
            child.current = {
                r: draw(st.sampled_from(ids)) for r in draw(st.sets(st.sampled_from(ROLES)))
            }
            child.forbidden = {
                r: tuple(draw(st.lists(st.sampled_from(ids), max_size=2, unique=True)))
                for r in draw(st.sets(st.sampled_from(ROLES), max_size=1))
            }
        spec.children.append(child)
    if rules:
        add_locks(spec, draw)
    return spec.instance()


def add_locks(spec: Spec, draw: st.DrawFn) -> None:
    """Some locks, never more on a carer than its capacity, never on a forbidden carer."""
    held: Counter[str] = Counter()
    for child in spec.children:
        if not spec.carers or not draw(st.booleans()):
            continue
        carer = draw(st.sampled_from(spec.carers))
        if carer.id in child.forbidden.get(carer.role, ()) or held[carer.id] >= carer.capacity:
            continue
        held[carer.id] += 1
        child.locked = {carer.role: carer.id}


# --- the checks ---------------------------------------------------------------------------------


def check_hard_rules(instance: Instance, result: Result) -> None:
    carers = {k.id: k for k in instance.carers}
    children = {c.id: c for c in instance.children}
    seen: set[tuple[str, str]] = set()
    load: Counter[str] = Counter()
    for a in result.assignments:
        child, carer = children[a.child], carers[a.carer]
        assert (a.child, a.role) not in seen, "one carer per role per child"
        seen.add((a.child, a.role))
        assert carer.role == a.role
        assert carer.eligible, "only eligible carers"
        assert a.role != "volunteer" or child.consent, "volunteers only with consent"
        assert a.carer not in child.forbidden.get(a.role, ()), "forbidden pairs never made"
        if child.locked.get(a.role) != a.carer:
            assert reachable(instance, child, carer), "only within reach"
        assert a.cost == reference_cost(instance, child, carer)
        metres = round(haversine_km(child.lat, child.lon, carer.lat, carer.lon) * 1000)
        assert a.distance_m == metres
        assert a.reasons[0] == f"{metres / 1000:.1f} km"
        load[a.carer] += 1
    for carer_id, count in load.items():
        assert count <= carers[carer_id].capacity, "capacity never exceeded"
    for child in instance.children:
        for role in ROLES:
            lock = lock_holds(instance, child, role)
            if lock is not None:
                assert (child.id, role) in seen
                made = next(a for a in result.assignments if (a.child, a.role) == (child.id, role))
                assert made.carer == lock and "locked" in made.reasons
    unpaired = {(u.child, u.role) for u in result.unpaired}
    assert not unpaired & seen
    assert len(unpaired) + len(seen) == len(instance.children) * len(ROLES)
    assert result.paired == len(result.assignments)
    assert result.total_cost == sum(a.cost for a in result.assignments)


def expected_reason(instance: Instance, child: ChildIn, role: str) -> str:
    if role == "volunteer" and not child.consent:
        return "no_consent"
    banned = set(child.forbidden.get(role, ()))
    if any(
        k.role == role and k.id not in banned and reachable(instance, child, k)
        for k in instance.carers
    ):
        return "capacity_exhausted"
    return "no_eligible_in_range"


def pairs(result: Result) -> set[tuple[str, str, str]]:
    return {(a.child, a.role, a.carer) for a in result.assignments}


@SETTINGS
@given(instances())
def test_solution_keeps_every_hard_rule_and_is_optimal(instance: Instance) -> None:
    result = solve(instance)
    check_hard_rules(instance, result)
    for role in ROLES:
        locked = {c.id for c in instance.children if lock_holds(instance, c, role) is not None}
        made = [a for a in result.assignments if a.role == role and a.child not in locked]
        flow, cost = reference(instance, role)
        assert len(made) == flow, f"{role}: the most children paired"
        assert sum(a.cost for a in made) == cost, f"{role}: at the least cost"
    children = {c.id: c for c in instance.children}
    for u in result.unpaired:
        assert u.reason == expected_reason(instance, children[u.child], u.role)


@SETTINGS
@given(instances(rules=False))
def test_distance_objective_equals_an_independent_min_cost_max_flow(instance: Instance) -> None:
    instance.params = replace(instance.params, objective="distance")
    result = solve(instance)
    check_hard_rules(instance, result)
    for role in ROLES:
        made = [a for a in result.assignments if a.role == role]
        flow, cost = reference(instance, role)
        assert (len(made), sum(a.cost for a in made)) == (flow, cost)
        assert all(a.cost == a.distance_m for a in made)


@SETTINGS
@given(instances())
def test_proposing_again_changes_nothing(instance: Instance) -> None:
    first = solve(instance)
    current: dict[str, dict[str, str]] = {}
    for a in first.assignments:
        current.setdefault(a.child, {})[a.role] = a.carer
    for child in instance.children:
        child.current = current.get(child.id, {})
    second = solve(instance)
    assert pairs(second) == pairs(first)
    kept = [a for a in second.assignments if "continuity" in a.reasons]
    assert len(kept) == len(second.assignments)


@SETTINGS
@given(instances())
def test_greedy_keeps_the_hard_rules_and_never_pairs_more(instance: Instance) -> None:
    base = greedy(instance)
    check_hard_rules(instance, base)
    assert base.paired <= solve(instance).paired


def test_grouped_children_get_the_same_optimum_as_children_apart() -> None:
    """Twelve children in one village are one supply node; the reference keeps them apart."""
    lat, lon, code = VILLAGES[0]
    children = [
        ChildIn(id=f"c{i}", lat=lat, lon=lon, languages=("she",) if i % 3 else (), area=code)
        for i in range(12)
    ]
    carers = [
        CarerIn(id="near", role="police", lat=27.96, lon=119.62, capacity=5),
        CarerIn(id="she", role="police", lat=27.99, lon=119.66, capacity=4, languages=("she",)),
        CarerIn(id="far", role="police", lat=28.05, lon=119.70, capacity=2),
    ]
    instance = Instance(params=Params(), children=children, carers=carers)
    result = solve(instance)
    check_hard_rules(instance, result)
    assert (result.paired, result.total_cost) == reference(instance, "police")
    assert result.paired == 11
    reasons = Counter(u.reason for u in result.unpaired if u.role == "police")
    assert reasons == {"capacity_exhausted": 1}


def test_a_tie_is_broken_towards_the_current_pair() -> None:
    """Two children, one place: the kept pair costs exactly what the other child would."""
    near = ChildIn(id="near", lat=27.97, lon=119.63, current={"police": "p"})
    far = ChildIn(id="far", lat=27.97, lon=119.63)
    carer = CarerIn(id="p", role="police", lat=27.97, lon=119.63, capacity=1)
    params = Params(weights=Weights(change_penalty=0))
    result = solve(Instance(params=params, children=[far, near], carers=[carer]))
    assert pairs(result) == {("near", "police", "p")}


def test_lock_is_kept_even_out_of_reach_and_counts_against_capacity() -> None:
    child = ChildIn(id="c", lat=27.97, lon=119.63, locked={"doctor": "d"})
    other = ChildIn(id="o", lat=27.97, lon=119.63)
    far = CarerIn(id="d", role="doctor", lat=29.0, lon=121.0, capacity=1)
    result = solve(Instance(params=Params(), children=[child, other], carers=[far]))
    made = {(a.child, a.role): a for a in result.assignments}
    assert made["c", "doctor"].carer == "d"
    assert "locked" in made["c", "doctor"].reasons
    assert ("o", "doctor") not in made


def test_unpaired_reasons() -> None:
    lat, lon, _ = VILLAGES[0]
    children = [
        ChildIn(id="no-consent", lat=lat, lon=lon, consent=False),
        ChildIn(id="first", lat=lat, lon=lon, consent=True),
        ChildIn(id="second", lat=lat, lon=lon, consent=True),
        ChildIn(id="banned", lat=lat, lon=lon, consent=True, forbidden={"volunteer": ("v",)}),
    ]
    carers = [CarerIn(id="v", role="volunteer", lat=lat, lon=lon, capacity=1)]
    result = solve(Instance(params=Params(), children=children, carers=carers))
    why = {u.child: u.reason for u in result.unpaired if u.role == "volunteer"}
    assert why == {
        "no-consent": "no_consent",
        "second": "capacity_exhausted",
        "banned": "no_eligible_in_range",
    }
    assert {u.reason for u in result.unpaired if u.role == "police"} == {"no_eligible_in_range"}


def test_reasons_name_distance_interest_language_and_continuity() -> None:
    child = ChildIn(
        id="c",
        lat=27.97,
        lon=119.63,
        sex="F",
        age=12,
        interests=("music", "art"),
        languages=("she", "mandarin"),
        consent=True,
        current={"volunteer": "v"},
    )
    carer = CarerIn(
        id="v",
        role="volunteer",
        lat=27.95,
        lon=119.60,
        capacity=3,
        sex="F",
        skills=("music",),
        languages=("she", "mandarin"),
    )
    (made,) = solve(Instance(params=Params(), children=[child], carers=[carer])).assignments
    assert made.reasons == [
        "3.7 km",
        "continuity",
        "interest:music",
        "language:she",
        "woman_volunteer",
    ]
    assert made.cost == made.distance_m  # nothing but the distance: every rule is met


def test_regions_are_never_crossed() -> None:
    child = ChildIn(id="c", lat=27.97, lon=119.63, region="A")
    carer = CarerIn(id="p", role="police", lat=27.97, lon=119.63, capacity=1, region="B")
    result = solve(Instance(params=Params(), children=[child], carers=[carer]))
    assert result.paired == 0


def test_components_solved_in_worker_processes_give_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from care365.pairing.solver import flow, pipeline

    children: list[ChildIn] = []
    carers: list[CarerIn] = []
    for r, (lat, lon) in enumerate([(27.97, 119.63), (29.5, 121.0), (26.5, 118.0)]):
        for i in range(30):
            children.append(
                ChildIn(
                    id=f"c{r}-{i}",
                    lat=lat + (i % 5) * 0.01,
                    lon=lon,
                    interests=(WORDS[i % 3],),
                    consent=True,
                )
            )
        for role in ROLES:
            for j in range(3):
                carers.append(
                    CarerIn(
                        id=f"{role}{r}-{j}",
                        role=role,
                        lat=lat + j * 0.02,
                        lon=lon + 0.01,
                        capacity=9,
                        skills=(WORDS[j],),
                    )
                )
    instance = Instance(params=Params(), children=children, carers=carers)
    whole = solve(instance)
    monkeypatch.setattr(flow, "SPLIT_MIN_ARCS", 1)  # every component a batch of its own
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_CHILDREN", 1)
    apart = solve(instance)
    in_workers = solve(instance, workers=2)
    assert pairs(in_workers) == pairs(apart)  # the same batches, solved elsewhere
    assert (apart.paired, apart.total_cost) == (whole.paired, whole.total_cost)
    for role in ROLES:
        made = [a for a in apart.assignments if a.role == role]
        assert (len(made), sum(a.cost for a in made)) == reference(instance, role)


def test_the_example_of_the_issue(tmp_path: Any) -> None:
    from care365.pairing.solver import instance_from_dict, result_to_dict

    data = {
        "params": {
            "objective": "full",
            "max_distance_km": {"police": 20, "doctor": 20, "volunteer": 10},
            "weights": {},
        },
        "children": [
            {
                "id": "c1",
                "lat": 27.97,
                "lon": 119.63,
                "sex": "F",
                "age": 11,
                "interests": ["music"],
                "languages": ["she"],
                "consent": True,
                "current": {"police": "p1"},
                "locked": {"doctor": "d4"},
                "forbidden": {"volunteer": ["v2"]},
            }
        ],
        "carers": [
            {"id": "p1", "role": "police", "lat": 27.95, "lon": 119.60, "capacity": 40,
             "sex": "M", "skills": [], "languages": [], "eligible": True},
            {"id": "d4", "role": "doctor", "lat": 27.95, "lon": 119.60, "capacity": 1},
            {"id": "v2", "role": "volunteer", "lat": 27.97, "lon": 119.63, "capacity": 1},
        ],
    }  # fmt: skip
    out = result_to_dict(solve(instance_from_dict(data)))
    assert set(out) == {"assignments", "unpaired", "total_cost", "paired", "seconds"}
    assert out["assignments"][0] == {
        "child": "c1",
        "role": "police",
        "carer": "p1",
        "cost": 3692 + 3000,
        "reasons": ["3.7 km", "continuity"],
    }
    assert out["unpaired"] == [
        {"child": "c1", "role": "volunteer", "reason": "no_eligible_in_range"}
    ]
    assert out["paired"] == 2


# --- reading instances --------------------------------------------------------------------------


GOOD_CHILD = {"id": "c1", "lat": 27.97, "lon": 119.63}
GOOD_CARER = {"id": "p1", "role": "police", "lat": 27.95, "lon": 119.6, "capacity": 3}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be an object"),
        ({"children": {}}, "'children' must be a list"),
        ({"children": [{"lat": 1, "lon": 2}]}, "children[0]: 'id' is missing"),
        ({"children": [{"id": "c", "lon": 2}]}, "children[0] (id 'c'): 'lat' is missing"),
        ({"children": [{"id": "c", "lat": "x", "lon": 2}]}, "'lat' must be a number"),
        ({"children": [{"id": "c", "lat": 91, "lon": 2}]}, "'lat' must be between -90 and 90"),
        ({"children": [{"id": "c", "lat": 1, "lon": float("nan")}]}, "'lon' must be between"),
        ({"children": [{**GOOD_CHILD, "sex": "X"}]}, '\'sex\' must be "M" or "F"'),
        ({"children": [{**GOOD_CHILD, "age": -1}]}, "'age' must be between 0 and 150"),
        ({"children": [{**GOOD_CHILD, "consent": "yes"}]}, "'consent' must be true or false"),
        ({"children": [{**GOOD_CHILD, "interests": "music"}]}, "'interests' must be a list"),
        ({"children": [{**GOOD_CHILD, "current": {"cook": "p1"}}]}, "unknown role 'cook'"),
        ({"children": [GOOD_CHILD, GOOD_CHILD]}, "children: duplicate id 'c1'"),
        ({"carers": [{**GOOD_CARER, "role": "cook"}]}, "carers[0] (id 'p1'): unknown role"),
        ({"carers": [{"id": "p", "lat": 1, "lon": 2, "capacity": 1}]}, "'role' is missing"),
        ({"carers": [{**GOOD_CARER, "capacity": -1}]}, "'capacity' must be between 0"),
        ({"carers": [{**GOOD_CARER, "capacity": 1.5}]}, "'capacity' must be a whole number"),
        ({"carers": [{**GOOD_CARER, "eligible": 1}]}, "'eligible' must be true or false"),
        ({"carers": [GOOD_CARER, GOOD_CARER]}, "carers: duplicate id 'p1'"),
        ({"params": {"objective": "cheapest"}}, '\'objective\' must be "full" or "distance"'),
        ({"params": {"weights": {"per_mile": 1}}}, "unknown weight 'per_mile'"),
        ({"params": {"weights": {"change_penalty": -5}}}, "'change_penalty' must be between"),
        ({"params": {"max_distance_km": {"police": 0}}}, "'police' must be above 0"),
        (
            {"children": [{**GOOD_CHILD, "locked": {"police": "nobody"}}], "carers": [GOOD_CARER]},
            "locked police: unknown carer 'nobody'",
        ),
        (
            {"children": [{**GOOD_CHILD, "locked": {"doctor": "p1"}}], "carers": [GOOD_CARER]},
            "carer 'p1' is a police, not a doctor",
        ),
        (
            {
                "children": [
                    {**GOOD_CHILD, "locked": {"police": "p1"}, "forbidden": {"police": ["p1"]}}
                ],
                "carers": [GOOD_CARER],
            },
            "both locked and forbidden",
        ),
        (
            {
                "children": [
                    {**GOOD_CHILD, "id": f"c{i}", "locked": {"police": "p1"}} for i in range(4)
                ],
                "carers": [GOOD_CARER],
            },
            "carer 'p1': 4 locked children but capacity 3",
        ),
    ],
)
def test_bad_instances_are_refused_with_a_clear_message(data: Any, message: str) -> None:
    from care365.pairing.solver import InstanceError, instance_from_dict

    with pytest.raises(InstanceError) as error:
        instance_from_dict(data)
    assert message in str(error.value)


def test_absent_fields_take_their_defaults() -> None:
    from care365.pairing.solver import instance_from_dict

    instance = instance_from_dict({"children": [GOOD_CHILD], "carers": [GOOD_CARER]})
    (child,) = instance.children
    (carer,) = instance.carers
    assert (child.consent, child.current, child.sex, child.area) == (False, {}, None, None)
    assert (carer.eligible, carer.skills, carer.service_areas) == (True, (), ())
    assert instance.params.max_distance_km == {"police": 20, "doctor": 20, "volunteer": 10}
    assert instance.params.weights == Weights()


def test_instance_round_trips_through_its_dict() -> None:
    from care365.pairing.solver import instance_from_dict, instance_to_dict

    data = {
        "children": [{**GOOD_CHILD, "interests": ["art"], "consent": True, "area": "v1"}],
        "carers": [{**GOOD_CARER, "service_areas": ["v1"], "region": "A"}],
    }
    instance = instance_from_dict(data)
    assert instance_from_dict(instance_to_dict(instance)) == instance


# --- the command, file mode ---------------------------------------------------------------------


def test_pair_command_writes_the_result_file(tmp_path: Any) -> None:
    import json

    from django.core.management import call_command

    instance = tmp_path / "instance.json"
    instance.write_text(json.dumps({"children": [GOOD_CHILD], "carers": [GOOD_CARER]}))
    out = tmp_path / "result.json"
    call_command("pair", instance=str(instance), out=str(out))
    result = json.loads(out.read_text())
    assert result["assignments"] == [
        {"child": "c1", "role": "police", "carer": "p1", "cost": 8692, "reasons": ["3.7 km"]}
    ]
    assert {(u["role"], u["reason"]) for u in result["unpaired"]} == {
        ("doctor", "no_eligible_in_range"),
        ("volunteer", "no_consent"),
    }
    assert (result["paired"], result["total_cost"]) == (1, 8692)
    call_command("pair", instance=str(instance), out=str(out), greedy=True)
    assert json.loads(out.read_text())["paired"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("{not json", "is not valid JSON"),
        ('{"children": [{"id": "c"}]}', "children[0] (id 'c'): 'lat' is missing"),
    ],
)
def test_pair_command_refuses_bad_input(tmp_path: Any, content: str | None, message: str) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    instance = tmp_path / "instance.json"
    if content is not None:
        instance.write_text(content)
    with pytest.raises(CommandError) as error:
        call_command("pair", instance=str(instance), out=str(tmp_path / "out.json"))
    assert message in str(error.value)
