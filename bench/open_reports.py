"""Open mandatory reporting: what a public report costs against the family's help button, and
the staff's list of reports.

    .venv/bin/python bench/open_reports.py [--children 5000] [--reports 200] [--db sqlite,postgres]

For each database: migrate a fresh database (a temporary SQLite file, or the PostgreSQL database
care365_bench_reports on 127.0.0.1, dropped afterwards), seed a county (`care365 seed --children
N`) and its demo logins, then time, in one process:

- `mandatory_report_submit` for --reports reports (each from an address and phone of its own, so
  the rate limit counts but never refuses), in random villages, half naming a registered child
  of the village (linked, its alert to the paired officer), half a child the registry does not
  know (an alert to the stations covering the village, and the director's registration task);
- `alert_raise_from_help_link` for as many children (the help links issued beforehand): the
  family's button, the cheapest way an alert is raised, as the baseline;
- the staff's list (`reports_for_list`) for the county administrator and a police officer, 30
  times each, once the reports exist.

Prints medians and 95th percentiles in milliseconds and the ratio of the medians.
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
PG_BENCH_DB = "care365_bench_reports"
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


def measure(reports: int) -> dict[str, list[float]]:
    """In a process whose environment names the seeded database."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from care365.accounts.models import Role, User
    from care365.areas.models import Area
    from care365.network.selectors import reports_for_list
    from care365.network.services import mandatory_report_submit
    from care365.protection.services import alert_raise_from_help_link, help_link_issue
    from care365.registry.models import Child
    from care365.seeding.seed.demo import demo_users_ensure

    demo_users_ensure()
    rng = random.Random(1)  # synthetic reports
    villages = list(Area.objects.filter(level=Area.Level.VILLAGE).order_by("pk"))
    children = list(Child.objects.filter(exited_on__isnull=True).order_by("pk"))
    admin = User.objects.filter(role=Role.COUNTY_ADMIN, is_active=True).order_by("pk").first()
    officer = User.objects.filter(role=Role.POLICE, is_active=True).order_by("pk").first()
    assert admin is not None and officer is not None

    times: dict[str, list[float]] = {"report": [], "help": [], "list_admin": [], "list_police": []}
    for n in range(reports):
        known = n % 2 == 0
        child = rng.choice(children) if known else None
        village = child.village if child is not None else rng.choice(villages)
        start = time.perf_counter()
        mandatory_report_submit(
            village_id=village.pk,
            reporter_name="陈老师",
            reporter_phone=f"139{n:08d}",
            reporter_role="teacher",
            child_name=child.name if child is not None else f"不在册{n}",
            situation=rng.choice(["abandoned", "abuse_injuries", "missing"]),
            what_seen="孩子一个人在家好几天了",
            client_ip=f"10.{n // 65536}.{n // 256 % 256}.{n % 256}",
        )
        times["report"].append((time.perf_counter() - start) * 1000)
    tokens = [help_link_issue(actor=admin, child=c)[1] for c in rng.sample(children, reports)]
    for token in tokens:
        start = time.perf_counter()
        alert_raise_from_help_link(token=token)
        times["help"].append((time.perf_counter() - start) * 1000)
    for _ in range(30):
        for key, user in (("list_admin", admin), ("list_police", officer)):
            fresh = User.objects.get(pk=user.pk)  # a request's user: nothing cached
            start = time.perf_counter()
            rows = reports_for_list(fresh)
            times[key].append((time.perf_counter() - start) * 1000)
            assert key != "list_admin" or len(rows) == min(reports, 200)
    return times


def run(kind: str, children: int, reports: int) -> dict[str, list[float]]:
    env = dict(os.environ, CARE365_DEMO="1", DJANGO_SETTINGS_MODULE="config.settings")
    tmp = tempfile.mkdtemp(prefix="care365-bench-reports-")
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
            [PYTHON, __file__, "--measure", str(reports)],
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
    parser.add_argument("--children", type=int, default=5_000)
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    print(f"Open mandatory reports, {args.children:,} children, {args.reports} each (ms, p50/p95)")
    for kind in args.db.split(","):
        t = run(kind, args.children, args.reports)
        report, help_ = statistics.median(t["report"]), statistics.median(t["help"])
        print(
            f"  {kind:<9} report {report:6.1f}/{p95(t['report']):6.1f}   "
            f"help button {help_:6.1f}/{p95(t['help']):6.1f}   ratio {report / help_:.1f}x   "
            f"list: admin {statistics.median(t['list_admin']):6.1f}/{p95(t['list_admin']):6.1f}"
            f"  officer {statistics.median(t['list_police']):6.1f}/{p95(t['list_police']):6.1f}",
            flush=True,
        )
    print(
        "\nreproduce: .venv/bin/python bench/open_reports.py "
        f"--children {args.children} --reports {args.reports} --db {args.db}"
    )


if __name__ == "__main__":
    main()
