"""Seeding with and without a year of history (`care365 seed --history 365`), SQLite.

    .venv/bin/python bench/history.py [--sizes 3000,100000] [--db sqlite]

Each run migrates a fresh database (a temporary SQLite file, or the PostgreSQL database
care365_bench_history on 127.0.0.1, dropped afterwards) and times the real command as a separate
process (wall clock, Django start-up included): `care365 seed --children N --seed 1`, then the
same on a fresh database with `--history 365` (which also pairs the county). Prints both times,
the history's own share, the rows it wrote and their rate, and the ratio.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_DB = "care365_bench_history"


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql], check=True
    )


def fresh(kind: str) -> dict[str, str]:
    env = dict(os.environ, CARE365_DEMO="1")
    tmp = tempfile.mkdtemp(prefix="care365-bench-history-")
    env["CARE365_DATA_DIR"] = tmp
    if kind == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    else:
        psql(f"DROP DATABASE IF EXISTS {PG_DB}")
        psql(f"CREATE DATABASE {PG_DB}")
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    subprocess.run([PYTHON, "-m", "care365.cli", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    return env


def timed(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-m", "care365.cli", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started, done.stdout


def rows(env: dict[str, str]) -> int:
    code = (
        "from django.apps import apps;"
        "print(sum(apps.get_model(m).objects.count() for m in ("
        "'care.Contact','care.Examination','care.Screening','care.Wish','care.CareTask',"
        "'protection.Alert','protection.AlertEvent','pairing.Pairing')))"
    )
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="3000,100000")
    parser.add_argument("--db", default="sqlite")
    args = parser.parse_args()
    for kind in args.db.split(","):
        for size in [int(s) for s in args.sizes.split(",")]:
            base = ["seed", "--children", str(size), "--seed", "1"]
            plain, _ = timed(base, fresh(kind))
            env = fresh(kind)
            full, out = timed([*base, "--history", "365"], env)
            written = rows(env)
            history = full - plain
            print(f"{kind} {size:,} children: seed {plain:.1f} s, with a year {full:.1f} s "
                  f"({full / plain:.1f}x); history {history:.1f} s for {written:,} rows "
                  f"({written / max(history, 0.001):,.0f} rows/s)")  # fmt: skip
            print("  " + "\n  ".join(out.strip().splitlines()[-5:]))
            if kind == "postgres":
                psql(f"DROP DATABASE IF EXISTS {PG_DB}")
    print(f"reproduce: .venv/bin/python bench/history.py --sizes {args.sizes} --db {args.db}")


if __name__ == "__main__":
    main()
