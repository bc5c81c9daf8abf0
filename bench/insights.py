"""Dashboards, home pages and lists with a seeded county and a year of history: p50 and p95 per
page, SQLite and PostgreSQL side by side, and the roll-ups' rebuild time.

    .venv/bin/python bench/insights.py [--children 100000,300000] [--requests 20]
                                       [--db sqlite,postgres] [--keep]

For each database and size: a fresh database (a temporary SQLite file; on PostgreSQL the database
care365_bench_insights, dropped at the end), `care365 seed`, a year of history written by this
script (one to three contacts a month of each planned kind, an examination, and an alert a
thousand children, with acknowledgement and arrival times), `care365 insights rebuild` (timed),
then requests timed in process with Django's test client (one client, in sequence, after a
warm-up), as the county administrator, a township supervisor and a village director. Prints a
table of p50 and p95 per page and size. The goal is p95 <= 200 ms for every dashboard and home.

The history is the bench's own until the demo's year of history can be seeded by
`care365 seed`; it is enough to give every figure something to count, not a county's real
volume of contacts (which only makes the roll-ups' rebuild longer, not the pages slower).
"""

from __future__ import annotations

import argparse
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
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB = "care365_bench_insights"


def _env(url: str) -> dict[str, str]:
    return dict(
        os.environ, CARE365_DEMO="1", DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings"
    )


def _manage(env: dict[str, str], *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [PYTHON, "-m", "care365.cli", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def _psql(sql: str) -> None:
    subprocess.run(["psql", PG_ADMIN_URL, "-q", "-c", sql], check=True, stdout=subprocess.DEVNULL)


def measure(url: str, children: int, requests: int) -> dict[str, tuple[float, float]]:
    """Runs in a child process with DATABASE_URL set: seeds, builds history, times pages."""
    env = _env(url)
    _manage(env, "migrate", "--no-input")
    seed_s = _manage(env, "seed", "--children", str(children), "--seed", "7")
    out = subprocess.run(
        [PYTHON, __file__, "--inner", "--children", str(children), "--requests", str(requests)],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.stderr.write(out.stderr[-3000:])
        raise SystemExit(out.returncode)
    results: dict[str, tuple[float, float]] = {"seed (s)": (seed_s, seed_s)}
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            _tag, name, p50, p95 = line.split("\t")
            results[name] = (float(p50), float(p95))
    return results


def inner(children: int, requests: int) -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from datetime import datetime, timedelta

    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from care365.accounts.models import Role, User
    from care365.areas.models import Area
    from care365.care.models import Contact, Examination
    from care365.core.maintenance import db_analyze
    from care365.insights.services import rollups_rebuild
    from care365.protection.models import Alert
    from care365.registry.models import Child

    rng = random.Random(7)
    today = timezone.localdate()
    county = Area.objects.get(level="county")
    township = Area.objects.filter(parent=county).order_by("code").first()
    village = Area.objects.filter(parent=township).order_by("code").first()
    admin = User.objects.create(username="b_admin", role=Role.COUNTY_ADMIN, area=county)
    supervisor = User.objects.create(username="b_sup", role=Role.SUPERVISOR, area=township)
    director = User.objects.create(username="b_dir", role=Role.DIRECTOR, area=village)

    # A year of history (see the module's docstring).
    start = time.perf_counter()
    kinds = ("home_visit", "parent_contact", "safety_check", "volunteer_visit")
    batch: list[Contact] = []
    exams: list[Examination] = []
    alerts: list[Alert] = []
    for pk, village_id, born in Child.objects.values_list(
        "pk", "village_id", "birth_date"
    ).iterator():
        for month in range(12):
            for kind in rng.sample(kinds, rng.randint(1, 3)):
                day = today - timedelta(days=30 * month + rng.randint(0, 29))
                batch.append(
                    Contact(
                        child_id=pk,
                        kind=kind,
                        occurred_on=day,
                        occurred_at=datetime.combine(
                            day, datetime.min.time(), tzinfo=timezone.get_current_timezone()
                        ),
                        duration_minutes=30,
                        logged_by=admin,
                        logged_by_role="director",
                        channel="video" if kind == "parent_contact" else "",
                    )
                )
        if rng.random() < 0.6:
            day = max(born, today - timedelta(days=rng.randint(0, 364)))
            exams.append(
                Examination(
                    child_id=pk, examined_on=day, age_days=(day - born).days, entered_by=admin
                )
            )
        if rng.random() < 0.001:
            raised = timezone.now() - timedelta(
                days=rng.randint(0, 364), minutes=rng.randint(0, 1440)
            )
            alerts.append(
                Alert(
                    child_id=pk,
                    county=county,
                    village_id=village_id,
                    kind="danger",
                    source="web",
                    raised_at=raised,
                    policy={},
                    state="with_child",
                    acknowledged_at=raised + timedelta(seconds=rng.randint(30, 900)),
                    with_child_at=raised + timedelta(seconds=rng.randint(600, 5400)),
                )
            )
        if len(batch) >= 20000:
            Contact.objects.bulk_create(batch, batch_size=5000)
            batch = []
    Contact.objects.bulk_create(batch, batch_size=5000)
    Examination.objects.bulk_create(exams, batch_size=5000)
    Alert.objects.bulk_create(alerts, batch_size=5000)
    db_analyze(full=True)
    print(
        f"RESULT\thistory (s)\t{time.perf_counter() - start:.1f}\t{time.perf_counter() - start:.1f}"
    )
    start = time.perf_counter()
    rollups_rebuild(today)
    took = time.perf_counter() - start
    print(f"RESULT\trollups rebuild (s)\t{took:.1f}\t{took:.1f}")

    client = Client()
    pages = [
        ("admin home", admin, reverse("web:home")),
        ("supervisor home", supervisor, reverse("web:home")),
        ("director home", director, reverse("web:home")),
        ("county dashboard", admin, reverse("insights:dashboard")),
        ("township dashboard", admin, reverse("insights:area-dashboard", args=[township.pk])),
        ("village dashboard", director, reverse("insights:dashboard")),
        ("stats overview API", admin, "/api/v1/stats/overview"),
        ("stats care API", admin, "/api/v1/stats/care?period=" + f"{today.year}"),
        ("admin due list", admin, reverse("care:care-due")),
        ("supervisor due list", supervisor, reverse("care:care-due")),
        ("director due list", director, reverse("care:care-due")),
        ("admin risk list", admin, reverse("care:care-risk")),
        ("admin alert board", admin, reverse("protection:alert-board")),
    ]
    for name, user, url in pages:
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
        print(f"RESULT\t{name}\t{statistics.median(times):.0f}\t{p95:.0f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--children", default="100000")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(int(args.children), args.requests)
        return
    table: dict[str, dict[str, tuple[float, float]]] = {}
    for db in args.db.split(","):
        for size in (int(n) for n in args.children.split(",")):
            column = f"{db} {size:,}"
            if db == "sqlite":
                with tempfile.TemporaryDirectory() as tmp:
                    table[column] = measure(f"sqlite:///{tmp}/bench.sqlite3", size, args.requests)
            else:
                _psql(f"DROP DATABASE IF EXISTS {PG_DB}")
                _psql(f"CREATE DATABASE {PG_DB}")
                try:
                    table[column] = measure(
                        f"postgres://postgres@127.0.0.1:5432/{PG_DB}", size, args.requests
                    )
                finally:
                    _psql(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            print(f"{column} done", file=sys.stderr, flush=True)
    columns = list(table)
    names = list(dict.fromkeys(n for c in columns for n in table[c]))
    print("| page (ms: p50 / p95) | " + " | ".join(columns) + " |")
    print("| --- |" + " --- |" * len(columns))
    for name in names:
        cells = []
        for c in columns:
            p50, p95 = table[c].get(name, (float("nan"), float("nan")))
            cells.append(f"{p50:.0f}" if name.endswith("(s)") else f"{p50:.0f} / {p95:.0f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
