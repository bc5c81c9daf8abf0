"""Dashboards, home pages and lists of a county seeded with its history: p50 and p95 per page,
several county sizes side by side, and the roll-ups' rebuild time.

    .venv/bin/python bench/insights.py [--children 10000,30000,100000] [--history 365]
                                       [--requests 20] [--db sqlite,postgres] [--keep DIR]
                                       [--pg-db NAME] [--no-vacuum] [--only TEXT]

For each database and size: a database (SQLite: a file in a temporary directory, or
DIR/insights-<size>-<history>.sqlite3 with --keep, reused when it is already there; PostgreSQL:
care365_bench_insights, dropped at the end, or the database named by --pg-db, kept and seeded
only when it has no children), `care365 seed --children N --seed 7 --history DAYS`
(the registry, the carers, pairing, and DAYS days of contacts, examinations, screenings, wishes,
alerts, entries and exits up to today), `care365 insights rebuild` (timed), then requests timed
in process with Django's test client (one client, in sequence, after one warm-up request), as
the county administrator, a township supervisor, a village director and a province official:
every dashboard level, every home, and the due, risk and alert lists of the administrator and
the supervisor. Prints a table of p50 and p95 (ms) per page and size. The goal is p95 <= 200 ms.
On PostgreSQL the database is vacuumed and analysed before the pages are timed, as autovacuum
leaves it some minutes after a bulk load (`--no-vacuum` times it as loaded).
A database kept with --keep is migrated (so it follows the code) and its roll-ups rebuilt again
on each run.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _commands import db_name, env_for, manage, psql, psql_in

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_DB = "care365_bench_insights"
SEED = "7"


def measure(
    url: str,
    children: int,
    history: int,
    requests: int,
    *,
    seeded: bool,
    vacuum: bool = True,
    only: str = "",
) -> dict[str, tuple[float, float]]:
    """Seeds (unless `seeded`), rebuilds the roll-ups, vacuums (PostgreSQL, unless not
    `vacuum`) and times the pages in a child process."""
    env = env_for(url)
    results: dict[str, tuple[float, float]] = {}
    manage(env, "migrate", "--no-input")
    if not seeded:
        args = ["seed", "--children", str(children), "--seed", SEED, "--history", str(history)]
        took = manage(env, *args)
        results["seed with history (s)"] = (took, took)
    took = manage(env, "insights", "rebuild")
    results["roll-ups rebuild (s)"] = (took, took)
    if vacuum and url.startswith("postgres"):
        # As autovacuum leaves the database some minutes after a bulk load (the PostgreSQL
        # these run on may have it off): the visibility map set, which counts read from an
        # index alone need, and the planner's statistics.
        start = time.perf_counter()
        psql_in(url.rsplit("/", 1)[1], "VACUUM ANALYZE")
        took = time.perf_counter() - start
        results["vacuum analyze (s)"] = (took, took)
    out = subprocess.run(
        [PYTHON, __file__, "--inner", "--requests", str(requests), "--only", only],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.stderr.write(out.stderr[-3000:])
        raise SystemExit(out.returncode)
    for line in out.stdout.splitlines():
        if line.startswith("INFO\t"):
            print(line[5:], file=sys.stderr, flush=True)
        if line.startswith("RESULT\t"):
            _tag, name, p50, p95 = line.split("\t")
            results[name] = (float(p50), float(p95))
    return results


def _user(username: str, role: str, area: object) -> object:
    from care365.accounts.models import User

    user, _ = User.objects.update_or_create(
        username=username, defaults={"role": role, "area": area, "is_active": True}
    )
    return user


def inner(requests: int, only: str = "") -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from care365.accounts.models import Role, User
    from care365.areas.models import Area
    from care365.pairing.models import Pairing
    from care365.registry.models import Child

    county = Area.objects.get(level=Area.Level.COUNTY)
    province = Area.objects.get(level=Area.Level.PROVINCE)
    # The largest township and its largest village: the heaviest pages of their level.
    township = max(
        Area.objects.filter(parent=county),
        key=lambda t: Child.objects.filter(village__parent=t).count(),
    )
    village = max(
        Area.objects.filter(parent=township),
        key=lambda v: Child.objects.filter(village=v).count(),
    )
    # The carer of each role with the most children (a carer's home is their children's).
    carers = {}
    for role in ("police", "doctor", "volunteer"):
        top = (
            Pairing.objects.filter(role=role, until__isnull=True, carer__user__isnull=False)
            .values("carer__user")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        carers[role] = User.objects.get(pk=top["carer__user"]) if top else None
    admin = _user("b_admin", Role.COUNTY_ADMIN, county)
    supervisor = _user("b_sup", Role.SUPERVISOR, township)
    director = _user("b_dir", Role.DIRECTOR, village)
    official = _user("b_province", Role.PROVINCE_OFFICIAL, province)
    print(
        f"INFO\tcounty {Child.objects.filter(exited_on__isnull=True).count()} active children, "
        f"township {Child.objects.filter(village__parent=township).count()}, "
        f"village {Child.objects.filter(village=village).count()}",
        flush=True,
    )

    dashboard = "insights:area-dashboard"
    pages = [
        ("admin home", admin, reverse("web:home")),
        ("supervisor home", supervisor, reverse("web:home")),
        ("director home", director, reverse("web:home")),
        ("province official home", official, reverse("web:home")),
        *[
            (f"{role} home", user, reverse("web:home"))
            for role, user in carers.items()
            if user is not None
        ],
        ("province dashboard (official)", official, reverse("insights:dashboard")),
        ("county dashboard (official)", official, reverse(dashboard, args=[county.pk])),
        ("county dashboard (admin)", admin, reverse("insights:dashboard")),
        ("township dashboard (admin)", admin, reverse(dashboard, args=[township.pk])),
        ("village dashboard (admin)", admin, reverse(dashboard, args=[village.pk])),
        ("admin due list", admin, reverse("care:care-due")),
        ("supervisor due list", supervisor, reverse("care:care-due")),
        ("director due list", director, reverse("care:care-due")),
        ("admin risk list", admin, reverse("care:care-risk")),
        ("supervisor risk list", supervisor, reverse("care:care-risk")),
        ("director risk list", director, reverse("care:care-risk")),
        ("admin alerts list", admin, reverse("protection:alert-board")),
        ("supervisor alerts list", supervisor, reverse("protection:alert-board")),
        ("director alerts list", director, reverse("protection:alert-board")),
    ]
    client = Client()
    for name, user, url in pages:
        if only not in name:
            continue
        client.force_login(user)
        first = client.get(url)
        assert first.status_code == 200, (name, first.status_code)
        times = []
        deadline = time.perf_counter() + 120  # a page this slow is measured on fewer requests
        for _ in range(requests):
            t0 = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            if time.perf_counter() > deadline:
                break
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"RESULT\t{name}\t{statistics.median(times):.1f}\t{p95:.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--children", default="10000,30000,100000")
    parser.add_argument("--history", type=int, default=365, help="days of history (seed)")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--keep", default="", help="keep (and reuse) the SQLite files here")
    parser.add_argument(
        "--pg-db",
        default="",
        type=db_name,
        help="PostgreSQL: use (and keep) this database, seeded only if it has no children",
    )
    parser.add_argument(
        "--no-vacuum",
        dest="vacuum",
        action="store_false",
        help="PostgreSQL: time the pages right after the load, without VACUUM ANALYZE",
    )
    parser.add_argument("--only", default="", help="time only the pages whose name has this")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args.requests, args.only)
        return
    table: dict[str, dict[str, tuple[float, float]]] = {}
    for db in args.db.split(","):
        for size in (int(n) for n in args.children.split(",")):
            column = f"{db} {size:,}"
            print(f"{column}: starting", file=sys.stderr, flush=True)
            run = functools.partial(
                measure,
                children=size,
                history=args.history,
                requests=args.requests,
                vacuum=args.vacuum,
                only=args.only,
            )
            if db == "sqlite" and args.keep:
                path = Path(args.keep) / f"insights-{size}-{args.history}.sqlite3"
                path.parent.mkdir(parents=True, exist_ok=True)
                done = path.with_suffix(".seeded")
                if path.exists() and not done.exists():
                    path.unlink()  # a seed that did not finish
                table[column] = run(f"sqlite:///{path}", seeded=done.exists())
                done.touch()
            elif db == "sqlite":
                with tempfile.TemporaryDirectory() as tmp:
                    table[column] = run(f"sqlite:///{tmp}/bench.sqlite3", seeded=False)
            elif args.pg_db:
                # A database of one's own, kept: seeded unless it has children already.
                url = f"postgres://postgres@127.0.0.1:5432/{args.pg_db}"
                exists = f"SELECT 1 FROM pg_database WHERE datname = '{args.pg_db}'"  # noqa: S608
                if not psql(exists):
                    psql(f"CREATE DATABASE {args.pg_db}")
                manage(env_for(url), "migrate", "--no-input")
                seeded = int(psql_in(args.pg_db, "SELECT count(*) FROM registry_child")) > 0
                table[column] = run(url, seeded=seeded)
            else:
                psql(f"DROP DATABASE IF EXISTS {PG_DB}")
                psql(f"CREATE DATABASE {PG_DB}")
                try:
                    table[column] = run(f"postgres://postgres@127.0.0.1:5432/{PG_DB}", seeded=False)
                finally:
                    psql(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            print(f"{column}: {table[column]}", file=sys.stderr, flush=True)
    columns = list(table)
    names = list(dict.fromkeys(n for c in columns for n in table[c]))
    print(f"history: {args.history} days; {args.requests} requests per page")
    print("| page (ms: p50 / p95) | " + " | ".join(columns) + " |")
    print("| --- |" + " ---: |" * len(columns))
    for name in names:
        cells = []
        for c in columns:
            if name not in table[c]:
                cells.append("")
                continue
            p50, p95 = table[c][name]
            cells.append(f"{p50:.0f}" if name.endswith("(s)") else f"{p50:.0f} / {p95:.0f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
