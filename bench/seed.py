"""Seed rate of `care365 seed` (children per second), SQLite and PostgreSQL, up to 1,000,000.

    .venv/bin/python bench/seed.py [--sizes 10000,100000] [--runs 3] [--db sqlite,postgres]
                                   [--million] [--no-crypto]

Each run migrates a fresh database (a temporary SQLite file, or the PostgreSQL database
care365_bench on 127.0.0.1, dropped afterwards) and times the real command,
`care365 seed --children N --seed 1`, as a separate process (wall clock, Django start-up
included). Prints the median of --runs runs per size (one run for 1,000,000 with --million,
PostgreSQL only), the PostgreSQL/SQLite ratio, the rate of generation alone (--dry-run), and the
cost of the Fernet encryption of the five encrypted values per child.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_BENCH_DB = "care365_bench"
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


def fresh_database(kind: str) -> dict[str, str]:
    env = dict(os.environ, CARE365_DEMO="1")
    tmp = tempfile.mkdtemp(prefix="care365-bench-seed-")
    env["CARE365_DATA_DIR"] = tmp
    if kind == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    else:
        psql(f"DROP DATABASE IF EXISTS {PG_BENCH_DB}")
        psql(f"CREATE DATABASE {PG_BENCH_DB}")
        env["DATABASE_URL"] = PG_URL
    care365(["migrate", "-v0"], env)
    return env


def seed_seconds(kind: str, children: int, *, dry_run: bool = False) -> float:
    env = fresh_database(kind)
    try:
        args = ["seed", "--children", str(children), "--seed", "1", "-v0"]
        start = time.perf_counter()
        care365([*args, "--dry-run"] if dry_run else args, env)
        return time.perf_counter() - start
    finally:
        if kind == "postgres":
            psql(f"DROP DATABASE IF EXISTS {PG_BENCH_DB}")


def crypto_cost() -> tuple[float, float]:
    """Microseconds per Fernet encryption and per keyed hash, measured in this process."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("CARE365_DEMO", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from care365.core import crypto

    n = 50_000
    start = time.perf_counter()
    for i in range(n):
        crypto.encrypt(f"1380000{i:04d}")
    encrypt_us = (time.perf_counter() - start) / n * 1e6
    start = time.perf_counter()
    for i in range(n):
        crypto.lookup_hash(f"33112720150101{i:04d}")
    hash_us = (time.perf_counter() - start) / n * 1e6
    return encrypt_us, hash_us


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--million", action="store_true", help="also 1,000,000 on PostgreSQL")
    parser.add_argument("--no-crypto", action="store_true", help="skip the encryption cost")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    kinds = args.db.split(",")

    medians: dict[tuple[str, int], float] = {}
    print(f"seed rate, {os.cpu_count()} cores; median of {args.runs} runs (seconds, children/s)")
    for kind in kinds:
        for size in sizes:
            runs = [seed_seconds(kind, size) for _ in range(args.runs)]
            medians[kind, size] = statistics.median(runs)
            print(
                f"  {kind:<9}{size:>10,}  {medians[kind, size]:8.1f} s  "
                f"{size / medians[kind, size]:8,.0f} children/s   runs: "
                + ", ".join(f"{r:.1f}" for r in runs),
                flush=True,
            )
    if args.million and "postgres" in kinds:
        seconds = seed_seconds("postgres", 1_000_000)
        medians["postgres", 1_000_000] = seconds
        print(
            f"  postgres 1,000,000  {seconds:8.1f} s  {1_000_000 / seconds:8,.0f} children/s"
            f"   (one run; goal: under 600 s)",
            flush=True,
        )
    size = max(sizes)
    dry = seed_seconds(kinds[0], size, dry_run=True)
    print(f"  generation alone (--dry-run), {size:,}: {size / dry:,.0f} children/s")

    if {"sqlite", "postgres"} <= set(kinds):
        print("\nrate ratio postgres/sqlite:")
        for size in sizes:
            ratio = medians["sqlite", size] / medians["postgres", size]
            print(f"  {size:>10,}  {ratio:.2f}")
    if ("postgres", 1_000_000) in medians and ("postgres", max(sizes)) in medians:
        big, small = medians["postgres", 1_000_000], medians["postgres", max(sizes)]
        ratio = (1_000_000 / big) / (max(sizes) / small)
        print(f"\npostgres rate at 1,000,000 / rate at {max(sizes):,}: {ratio:.2f}")
    if not args.no_crypto:
        encrypt_us, hash_us = crypto_cost()
        per_child = 5 * encrypt_us + hash_us
        print(
            f"\nFernet encryption {encrypt_us:.1f} us per value, keyed hash {hash_us:.1f} us; "
            f"up to five encrypted values and one hash per child = {per_child:.0f} us"
        )
        for kind in kinds:
            seconds = medians[kind, max(sizes)]
            share = per_child * max(sizes) / 1e6 / seconds
            print(f"  share of {kind} seeding time at {max(sizes):,}: {share:.0%}")
    print(
        "\nreproduce: .venv/bin/python bench/seed.py "
        f"--sizes {args.sizes} --runs {args.runs} --db {args.db}"
        + (" --million" if args.million else "")
    )


if __name__ == "__main__":
    main()
