"""Pairing solver: time for a county (10,000 children) and a province (1,000,000), peak memory,
overhead over the raw min-cost flow, and the greedy baseline on the same instance.

    .venv/bin/python bench/pairing.py [--children 10000] [--repeat 5] [--big 1000000]
                                      [--workers 2] [--seed 1] [--no-big]

The instance is synthetic and province-like: counties of about 15 townships each (townships
about 10 km apart, 6-14 villages within 5 km of the township seat), children at their village's
coordinates with the demo's mix of traits (sex, age, interests, She/Wu languages, 88% guardian
consent for a volunteer), and per township a police station, a health centre and volunteer
groups at the seat, with capacities drawn so that most townships have room (105-130% of their
children) and one in eight is short (30-55%). About one volunteer in six is not vetted yet.

The 10,000 run is solved --repeat times in this process (median reported, one worker). The big
run is one solve in a fresh process with --workers processes; its peak resident memory is that
process's plus its workers' (ru_maxrss of self and children, added: an upper bound).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from care365.pairing.solver import (  # noqa: E402
    ROLES,
    CarerIn,
    ChildIn,
    Instance,
    Params,
    Result,
    greedy,
    instance_from_dict,
    instance_to_dict,
    solve,
)

KM_PER_DEGREE = 111.2
INTERESTS = ("music", "dance", "art", "sport", "reading", "science", "calligraphy", "crafts")
INTEREST_WEIGHTS = np.array([14, 12, 14, 20, 16, 10, 6, 8], dtype=float)
SKILLS_EXTRA = ("tutoring", "counselling")
PER_CARER = {"police": (30, 60), "doctor": (40, 90), "volunteer": (3, 10)}
MEN = {"police": 0.8, "doctor": 0.5, "volunteer": 0.35}
CHILDREN_PER_COUNTY = 12_500


def province(children: int, seed: int) -> Instance:
    rng = np.random.default_rng(seed)
    counties = max(1, round(children / CHILDREN_PER_COUNTY))
    side = int(np.ceil(np.sqrt(counties)))
    lat0, lon0 = 27.0, 118.0
    towns: list[tuple[float, float, str]] = []
    villages: list[tuple[float, float, str, int, float]] = []  # lat, lon, code, town, she share
    for c in range(counties):
        clat = lat0 + (c // side) * 40 / KM_PER_DEGREE
        clon = lon0 + (c % side) * 40 / (KM_PER_DEGREE * np.cos(np.radians(lat0)))
        she_county = rng.random() < 0.3
        n_towns = int(rng.integers(12, 19))
        for t in range(n_towns):
            gx, gy = t % 4 - 1.5, t // 4 - 1.5
            tlat = clat + (gy * 10 + rng.uniform(-3, 3)) / KM_PER_DEGREE
            tlon = clon + (gx * 10 + rng.uniform(-3, 3)) / (
                KM_PER_DEGREE * np.cos(np.radians(clat))
            )
            tcode = f"33{c:04d}{t:03d}"
            town = len(towns)
            towns.append((tlat, tlon, tcode))
            for v in range(int(rng.integers(6, 15))):
                angle, km = rng.uniform(0, 2 * np.pi), rng.uniform(1, 5)
                vlat = tlat + km * np.sin(angle) / KM_PER_DEGREE
                vlon = tlon + km * np.cos(angle) / (KM_PER_DEGREE * np.cos(np.radians(tlat)))
                she = 0.45 if she_county and rng.random() < 0.4 else 0.02
                villages.append(
                    (round(vlat, 6), round(vlon, 6), f"{tcode}{201 + v:03d}", town, she)
                )

    weights = rng.uniform(0.5, 1.5, len(villages))
    village_of = rng.choice(len(villages), size=children, p=weights / weights.sum())
    # children in registration order: villages mixed
    sex = np.where(rng.random(children) < 0.52, "M", "F")
    age = rng.integers(0, 18, children)
    n_int = rng.choice(4, size=children, p=[0.15, 0.40, 0.35, 0.10])
    consent = rng.random(children) < 0.88
    lang_draw = rng.random(children)
    she_draw = rng.random(children)
    p_int = INTEREST_WEIGHTS / INTEREST_WEIGHTS.sum()
    kids: list[ChildIn] = []
    for i in range(children):
        lat, lon, code, _town, she_share = villages[village_of[i]]
        if she_draw[i] < she_share:
            langs = ("she", "mandarin") if lang_draw[i] < 0.8 else ("mandarin",)
        else:
            langs = ("mandarin", "wu") if lang_draw[i] < 0.5 else ("mandarin",)
        k = int(n_int[i])
        interests = tuple(sorted(set(rng.choice(INTERESTS, size=k, p=p_int)))) if k else ()
        kids.append(
            ChildIn(
                id=f"c{i}",
                lat=lat,
                lon=lon,
                sex=str(sex[i]),
                age=int(age[i]),
                interests=interests,
                languages=langs,
                consent=bool(consent[i]),
                area=code,
                region=code[:6],
            )
        )

    per_town = np.bincount([villages[v][3] for v in village_of], minlength=len(towns))
    town_villages: dict[int, list[str]] = {}
    town_she: dict[int, float] = {}
    for _lat, _lon, code, town, she in villages:
        town_villages.setdefault(town, []).append(code)
        town_she[town] = max(town_she.get(town, 0.0), she)
    carers: list[CarerIn] = []
    for t, (tlat, tlon, tcode) in enumerate(towns):
        short = rng.random() < 0.125
        low, high = (0.3, 0.55) if short else (1.05, 1.3)
        everywhere = (tcode, *town_villages.get(t, []))
        for role in ROLES:
            target = max(1, round(int(per_town[t]) * rng.uniform(low, high)))
            lo, hi = PER_CARER[role]
            n = max(1, round(target / rng.uniform(lo, hi)))
            caps = np.maximum(1, np.round(rng.dirichlet(np.ones(n) * 4) * target)).astype(int)
            unvetted = round(n / 5) if role == "volunteer" else 0
            for j in range(n + unvetted):
                langs = ["mandarin"]
                if rng.random() < min(0.9, 0.1 + 1.5 * town_she.get(t, 0.02)):
                    langs.append("she")
                if rng.random() < 0.6:
                    langs.append("wu")
                if role == "volunteer":
                    pool = INTERESTS + SKILLS_EXTRA
                    skills = tuple(
                        sorted(rng.choice(pool, size=int(rng.integers(1, 4)), replace=False))
                    )
                    if rng.random() < 0.6:
                        areas = everywhere
                    else:
                        vs = town_villages.get(t, [])
                        areas = tuple(
                            rng.choice(
                                vs, size=min(len(vs), int(rng.integers(1, 4))), replace=False
                            )
                        )
                else:
                    skills = ()
                    areas = everywhere
                carers.append(
                    CarerIn(
                        id=f"{role[0]}{t}-{j}",
                        role=role,
                        lat=tlat,
                        lon=tlon,
                        capacity=int(caps[j]) if j < n else int(rng.integers(2, 9)),
                        sex="M" if rng.random() < MEN[role] else "F",
                        skills=skills,
                        languages=tuple(langs),
                        eligible=j < n,
                        service_areas=tuple(str(a) for a in areas),
                        region=tcode[:6],
                    )
                )
    return Instance(params=Params(), children=kids, carers=carers)


def per_role(result: Result) -> dict[str, int]:
    paired = dict.fromkeys(ROLES, 0)
    for a in result.assignments:
        paired[a.role] += 1
    return paired


def rss_mb(pid: int | str = "self") -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(x) for x in task.read_text().split()]
    return found


class PeakMemory:
    """Samples the resident memory of this process plus its worker processes every 20 ms.

    ru_maxrss of a worker is not usable: a spawned worker is forked from this process before it
    starts its own interpreter, so its maximum includes this process's pages at that moment.
    """

    def __init__(self) -> None:
        self.peak = 0.0
        self.peak_workers = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            workers = sum(rss_mb(pid) for pid in children_of(me))
            self.peak_workers = max(self.peak_workers, workers)
            self.peak = max(self.peak, rss_mb() + workers)
            self._stop.wait(0.02)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def big_run(children: int, workers: int, seed: int) -> None:
    """One solve of a big instance in this (fresh) process; prints one line of JSON."""
    start = time.perf_counter()
    instance = province(children, seed)
    generated = time.perf_counter() - start
    with PeakMemory() as memory:
        result = solve(instance, workers=workers)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "children": children,
                "carers": len(instance.carers),
                "generate_s": generated,
                "seconds": result.seconds,
                "flow_seconds": result.flow_seconds,
                "paired": per_role(result),
                "unpaired": len(result.unpaired),
                "peak_self_mb": own,
                "peak_total_mb": memory.peak,
                "peak_workers_mb": memory.peak_workers,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--no-big", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        big_run(args.one, args.workers, args.seed)
        return

    n = args.children
    instance = province(n, args.seed)
    print(
        f"pairing, {os.cpu_count()} cores; {n:,} children x {len(ROLES)} roles, "
        f"{len(instance.carers):,} carers"
    )
    data = json.loads(json.dumps(instance_to_dict(instance)))
    start = time.perf_counter()
    instance = instance_from_dict(data)
    read = time.perf_counter() - start
    runs = [solve(instance) for _ in range(args.repeat)]
    seconds = statistics.median(r.seconds for r in runs)
    flow = statistics.median(r.flow_seconds for r in runs)
    best = runs[0]
    print(
        f"  solve (one process): median {seconds:.3f} s of {args.repeat} runs "
        f"({', '.join(f'{r.seconds:.3f}' for r in runs)}); goal <= 1 s"
    )
    print(
        f"  inside OR-Tools: median {flow:.3f} s; "
        f"overhead (whole solve / flow) {seconds / flow:.2f}x"
    )
    print(f"  reading the instance from JSON-like dicts (instance_from_dict): {read:.3f} s")
    base = greedy(instance)
    opt_paired, greedy_paired = per_role(best), per_role(base)
    print(
        "\ngreedy (nearest free carer, children in input order) against the solver, same instance:"
    )
    for role in ROLES:
        print(
            f"  {role:<10} paired: solver {opt_paired[role]:>8,}  greedy {greedy_paired[role]:>8,}"
        )
    opt_un, greedy_un = len(best.unpaired), len(base.unpaired)
    print(
        f"  unpaired (child, role): solver {opt_un:,}, greedy {greedy_un:,}: "
        f"greedy/solver {greedy_un / max(opt_un, 1):.2f}x"
    )
    print(
        f"  total cost: solver {best.total_cost:,}, greedy {base.total_cost:,}: "
        f"greedy/solver {base.total_cost / best.total_cost:.3f}x; per pair "
        f"{(base.total_cost / base.paired) / (best.total_cost / best.paired):.3f}x"
    )
    print(f"  greedy took {base.seconds:.3f} s")

    if not args.no_big:
        print(
            f"\n{args.big:,} children x {len(ROLES)} roles, "
            f"{args.workers} worker processes (one run)"
        )
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                str(args.big),
                "--workers",
                str(args.workers),
                "--seed",
                str(args.seed),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        big = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"  {big['carers']:,} carers; "
            f"instance generated in {big['generate_s']:.1f} s (not counted)"
        )
        print(
            f"  solve: {big['seconds']:.1f} s (goal <= 60 s); "
            f"inside OR-Tools {big['flow_seconds']:.1f} s "
            f"(summed over workers)"
        )
        print(
            f"  peak memory (main process and workers together, sampled every 20 ms): "
            f"{big['peak_total_mb']:,.0f} MB (goal <= 4,096 MB); main process alone "
            f"{big['peak_self_mb']:,.0f} MB (ru_maxrss, instance included), workers together "
            f"at most {big['peak_workers_mb']:,.0f} MB"
        )
        print(f"  paired per role: {big['paired']}; unpaired (child, role): {big['unpaired']:,}")
    print(
        "\nreproduce: .venv/bin/python bench/pairing.py "
        f"--children {args.children} --repeat {args.repeat} --big {args.big} "
        f"--workers {args.workers} --seed {args.seed}" + (" --no-big" if args.no_big else "")
    )


if __name__ == "__main__":
    main()
