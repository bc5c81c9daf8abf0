"""Finding a family by the phone an SMS comes from: the keyed-hash look-up against decrypting
every entrusted carer's phone in the county (what it cost before Guardian.phone_hash).

    .venv/bin/python bench/sms_lookup.py [--children 20000] [--lookups 200] [--db sqlite,postgres]

For each database: migrate a fresh database (a temporary SQLite file, or the PostgreSQL database
care365_bench_sms on 127.0.0.1, dropped afterwards), seed a county (`care365 seed --children N`),
then time, in one process, `children_with_guardian_phone` for --lookups numbers (half of them
registered entrusted carers' phones written as a family would text them, "+86 ...", half unknown
numbers) and the same numbers found by decrypting and comparing every phone. Prints medians and
95th percentiles in milliseconds and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_BENCH_DB = "care365_bench_sms"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_BENCH_DB}"


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql], check=True
    )


def care365(args: list[str], env: dict[str, str]) -> None:
    subprocess.run(
        [PYTHON, "-m", "care365.cli", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(len(values) * 0.95) - 1)]


def measure(lookups: int) -> dict[str, list[float]]:
    """In a process whose environment names the seeded database."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from care365.areas.models import Area
    from care365.core.phones import normalise_phone
    from care365.protection.services import children_with_guardian_phone
    from care365.registry.models import Guardian

    county = Area.objects.get(level=Area.Level.COUNTY)
    rng = random.Random(1)  # synthetic numbers
    phones = list(Guardian.objects.exclude(phone="").values_list("phone", flat=True))
    known = [f"+86 {p[:3]} {p[3:7]} {p[7:]}" for p in rng.sample(phones, lookups // 2)]
    unknown = [f"1{rng.choice('3589')}{rng.randrange(10**9):09d}" for _ in range(lookups // 2)]
    numbers = known + unknown
    rng.shuffle(numbers)

    def scan(phone: str) -> list[int]:
        number = normalise_phone(phone)
        return [
            g.child_id
            for g in Guardian.objects.filter(
                child__exited_on__isnull=True, child__village__code__startswith=county.code
            )
            .exclude(phone="")
            .only("child_id", "phone")
            .iterator(chunk_size=2000)
            if normalise_phone(g.phone) == number
        ]

    times: dict[str, list[float]] = {"hash": [], "scan": []}
    for phone in numbers:
        start = time.perf_counter()
        by_hash = {c.pk for c in children_with_guardian_phone(county, phone)}
        times["hash"].append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        by_scan = set(scan(phone))
        times["scan"].append((time.perf_counter() - start) * 1000)
        assert by_hash == by_scan, phone  # the same families either way
    return times


def run(kind: str, children: int, lookups: int) -> dict[str, list[float]]:
    env = dict(os.environ, CARE365_DEMO="1", DJANGO_SETTINGS_MODULE="config.settings")
    tmp = tempfile.mkdtemp(prefix="care365-bench-sms-")
    env["CARE365_DATA_DIR"] = tmp
    if kind == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    else:
        psql(f"DROP DATABASE IF EXISTS {PG_BENCH_DB}")
        psql(f"CREATE DATABASE {PG_BENCH_DB}")
        env["DATABASE_URL"] = PG_URL
    try:
        care365(["migrate", "-v0"], env)
        care365(["seed", "--children", str(children), "--seed", "1", "-v0"], env)
        out = subprocess.run(
            [PYTHON, __file__, "--measure", str(lookups)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        times: dict[str, list[float]] = json.loads(out.strip().splitlines()[-1])
        return times
    finally:
        if kind == "postgres":
            psql(f"DROP DATABASE IF EXISTS {PG_BENCH_DB}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    print(f"SMS sender look-up, {args.children:,} children, {args.lookups} numbers (ms, p50/p95)")
    for kind in args.db.split(","):
        times = run(kind, args.children, args.lookups)
        hashed, scanned = statistics.median(times["hash"]), statistics.median(times["scan"])
        print(
            f"  {kind:<9} keyed hash {hashed:7.2f}/{p95(times['hash']):7.2f}   "
            f"decrypting every phone {scanned:8.1f}/{p95(times['scan']):8.1f}   "
            f"ratio {scanned / hashed:,.0f}x",
            flush=True,
        )
    print(
        "\nreproduce: .venv/bin/python bench/sms_lookup.py "
        f"--children {args.children} --lookups {args.lookups} --db {args.db}"
    )


if __name__ == "__main__":
    main()
