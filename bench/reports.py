"""Reports and list exports at scale: the monthly report's time, and exports' peak memory.

    .venv/bin/python bench/reports.py [--children 1000000] [--db postgres|sqlite]
                                      [--export-children 100000] [--skip-report] [--skip-export]
                                      [--pg-db NAME [--history DAYS]] [--area CODE]

Report: a fresh database, `care365 seed --children N --seed 1` (one synthetic area of N children
with their statuses, families, pairings and a year of care; a province has about 1,000,000),
ANALYZE, then `care365 report monthly --area <code> --period <last month> --out FILE` as a
separate process, timed by the wall clock (Django's start included), the same for the PDF.
Goal: under a minute at 1,000,000 children on PostgreSQL. With --pg-db, the report is timed on
that PostgreSQL database, kept: seeded first (`care365 seed --children N --seed 7 --history
DAYS`, as bench/insights.py seeds) only when it has no children, so a database seeded with a
year of history by bench/insights.py --pg-db is reused; then the monthly, quarterly and yearly
reports of the area (--area, a county's or the province's code). A report of an area is the
same whichever level it is at: the seed's one county is the whole province's children.

Exports: on a fresh SQLite database of --export-children children, the children list exported
as CSV and as xlsx by a county administrator (Django's test client, the streamed response read
to the end), each in a process of its own, with filters that keep about 10%, 30% and 100% of the
rows: the process's peak resident memory (ru_maxrss) before the export and after it, so that
the growth can be read against the rows. Constant memory: the growth does not follow the rows.

Everything it creates is removed at the end (the PostgreSQL database is dropped, the temporary
directory deleted), whether it ends normally or not.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from _commands import db_name, psql_in
from _commands import psql as admin_psql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_DB = "care365_bench_reports"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
CODE = "331127"


def psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-qc", sql], check=True
    )


def care365(args: list[str], env: dict[str, str], *, quiet: bool = True) -> float:
    start = time.perf_counter()
    subprocess.run(
        [PYTHON, "-m", "care365.cli", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )
    return time.perf_counter() - start


def fresh(kind: str, tmp: str) -> dict[str, str]:
    env = dict(os.environ, CARE365_DEMO="1", CARE365_DATA_DIR=tmp)
    if kind == "postgres":
        psql(f"DROP DATABASE IF EXISTS {PG_DB}")
        psql(f"CREATE DATABASE {PG_DB}")
        env["DATABASE_URL"] = PG_URL
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    care365(["migrate", "-v0"], env)
    return env


def analyze(kind: str, env: dict[str, str]) -> None:
    if kind == "postgres":
        psql("VACUUM ANALYZE", PG_DB)
    else:
        care365(["dbshell", "--", "ANALYZE;"], env)


def last_month() -> str:
    day = date.today().replace(day=1) - timedelta(days=1)  # noqa: DTZ011  # the local day
    return f"{day.year}-{day.month:02d}"


def _periods() -> list[tuple[str, str]]:
    """(kind, period) of the monthly, quarterly and yearly reports of the last whole ones."""
    month = last_month()
    year, number = int(month[:4]), int(month[5:])
    quarter = number // 3  # the last quarter whose three months are over; 0: last year's fourth
    return [
        ("monthly", month),
        ("quarterly", f"{year}-Q{quarter}" if quarter else f"{year - 1}-Q4"),
        ("yearly", str(year if number == 12 else year - 1)),
    ]


def bench_report_kept(database: str, children: int, history: int, area: str) -> None:
    """The reports on a kept PostgreSQL database, seeded only when it has no children."""
    tmp = tempfile.mkdtemp(prefix="care365-bench-reports-")
    url = f"postgres://postgres@127.0.0.1:5432/{database}"
    env = dict(os.environ, CARE365_DEMO="1", CARE365_DATA_DIR=tmp, DATABASE_URL=url)
    try:
        exists = f"SELECT 1 FROM pg_database WHERE datname = '{database}'"  # noqa: S608
        if not admin_psql(exists):
            psql(f"CREATE DATABASE {database}")
        care365(["migrate", "-v0"], env)
        count = psql_in(database, "SELECT count(*) FROM registry_child")
        if int(count) == 0:
            args = ["seed", "--children", str(children), "--seed", "7", "--history", str(history)]
            care365([*args, "-v0"], env)
            psql("VACUUM ANALYZE", database)
            count = psql_in(database, "SELECT count(*) FROM registry_child")
        print(f"reports of {area} on the kept database {database} ({int(count):,} children)")
        for kind, period in _periods():
            for fmt in ("xlsx", "pdf"):
                out = f"{tmp}/report.{fmt}"
                took = care365(
                    ["report", kind, "--area", area, "--period", period, "--out", out], env
                )
                size = Path(out).stat().st_size
                print(
                    f"  {kind} {period} as {fmt}: {took:.1f} s (wall, process start included), "
                    f"{size / 1024:.0f} KiB"
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench_report(kind: str, children: int) -> None:
    tmp = tempfile.mkdtemp(prefix="care365-bench-reports-")
    try:
        env = fresh(kind, tmp)
        seeded = care365(["seed", "--children", str(children), "--seed", "1", "-v0"], env)
        analyze(kind, env)
        period = last_month()
        print(f"report, {children:,} children on {kind} (seeded in {seeded:.0f} s)")
        for fmt in ("xlsx", "pdf"):
            out = f"{tmp}/report.{fmt}"
            took = care365(
                ["report", "monthly", "--area", CODE, "--period", period, "--out", out], env
            )
            size = Path(out).stat().st_size
            print(
                f"  monthly {period} as {fmt}: {took:.1f} s (wall, process start included), "
                f"{size / 1024:.0f} KiB"
            )
    finally:
        if kind == "postgres":
            psql(f"DROP DATABASE IF EXISTS {PG_DB}")
        shutil.rmtree(tmp, ignore_errors=True)


# One export, in a process of its own: prints JSON with the rows and the peak RSS before/after.
EXPORT = r"""
import json, resource, sys
import django
django.setup()
from django.test import Client
from care365.accounts.models import Role, User
from care365.areas.models import Area
county = Area.objects.get(code=sys.argv[1])
user, _ = User.objects.get_or_create(
    username="bench_admin", defaults={"role": Role.COUNTY_ADMIN, "area": county}
)
client = Client()
client.force_login(user)
# A warm-up export that finds nobody: the URLconf, the views and XlsxWriter are loaded before
# the measure, so the growth is the export's own.
for block in client.get(f"/exports/children.{sys.argv[2]}?age_min=17&age_max=0").streaming_content:
    pass
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
response = client.get(f"/exports/children.{sys.argv[2]}?{sys.argv[3]}")
size = 0
for block in response.streaming_content:
    size += len(block)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
from care365.accounts.models import ListExport
rows = ListExport.objects.order_by("-pk").first().rows
print(json.dumps({"rows": rows, "bytes": size, "before_kib": before, "after_kib": after}))
"""


def bench_exports(children: int) -> None:
    tmp = tempfile.mkdtemp(prefix="care365-bench-exports-")
    try:
        env = fresh("sqlite", tmp)
        env["DJANGO_SETTINGS_MODULE"] = "config.settings"
        care365(["seed", "--children", str(children), "--seed", "1", "-v0"], env)
        analyze("sqlite", env)
        print(
            f"\nexport of the children list, {children:,} children on sqlite "
            "(peak RSS of the process, MiB)"
        )
        print(
            f"  {'format':6} {'rows':>8} {'file MiB':>9} {'before':>7} {'after':>7} {'growth':>7}"
        )
        # About 10%, 30% and all of the children, by age (ages are spread over 0-17).
        for query in ("age_min=16", "age_min=12", ""):
            for fmt in ("csv", "xlsx"):
                done = subprocess.run(
                    [PYTHON, "-c", EXPORT, CODE, fmt, query],
                    cwd=ROOT,
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                r = json.loads(done.stdout.strip().splitlines()[-1])
                before, after = r["before_kib"] / 1024, r["after_kib"] / 1024
                print(
                    f"  {fmt:6} {r['rows']:>8,} {r['bytes'] / 2**20:>9.1f} {before:>7.0f} "
                    f"{after:>7.0f} {after - before:>7.0f}"
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--export-children", type=int, default=100_000)
    parser.add_argument("--skip-report", action="store_true")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--pg-db", default="", type=db_name, help="a kept PostgreSQL database")
    parser.add_argument("--history", type=int, default=365, help="days of history (--pg-db)")
    parser.add_argument("--area", default=CODE, help="the reports' area (--pg-db)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores")
    if args.pg_db and not args.skip_report:
        bench_report_kept(args.pg_db, args.children, args.history, args.area)
    elif not args.skip_report:
        bench_report(args.db, args.children)
    if not args.skip_export:
        bench_exports(args.export_children)
    print(
        "\nreproduce: .venv/bin/python bench/reports.py "
        f"--children {args.children} --db {args.db} --export-children {args.export_children}"
    )


if __name__ == "__main__":
    main()
