"""The network's lists at a province's size: referrals and the tasks that follow children.

    .venv/bin/python bench/referrals.py [--children 1000000] [--rate 0.05] [--requests 30]
                                        [--db postgres] [--keep]

For each database: migrate a fresh database (PostgreSQL: care365_bench_referrals on 127.0.0.1,
kept with --keep and reused when it is already seeded; SQLite: a temporary file), seed a county
(`care365 seed --children N`), then, in one process:

- write a year of referrals: `--rate` of the children (5% by default) referred once, on a day of
  the last 365, to one of 24 organisations of the county's network, in the states a year leaves
  them (most done, some declined, the last weeks' still sent or accepted, a share overdue), and a
  case conference for one child in 500 with two actions each (some owned by the bench's director
  and organisation staff);
- time each list with Django's test client, in sequence, after one warm-up request: the referral
  list page and API (newest first, a later page, the overdue ones) as the county administrator,
  the largest township's supervisor and its largest village's director, the conference list,
  the director's own actions and, where the code has them, an organisation's inbox and a
  teacher's school roll.

Prints p50 and p95 in milliseconds per list. The goal (issue 17): p95 <= 100 ms at 1,000,000.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _commands import env_for, manage, psql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_DB = "care365_bench_referrals"
SEED = "5"


def _user(username: str, **values: object) -> object:
    from care365.accounts.models import User

    user, _ = User.objects.update_or_create(
        username=username, defaults={"is_active": True, **values}
    )
    return user


def write_network(rate: float) -> None:
    """A year of referrals and case conferences (idempotent: nothing when referrals exist)."""
    from django.db import transaction
    from django.utils import timezone

    from care365.accounts.models import Role
    from care365.areas.models import Area
    from care365.carers.models import Organisation, ServiceKind
    from care365.network.models import CaseConference, ConferenceAction, Referral
    from care365.registry.models import Child

    if Referral.objects.exists():
        return
    rng = random.Random(5)
    county = Area.objects.get(level=Area.Level.COUNTY)
    admin = _user("b_admin", role=Role.COUNTY_ADMIN, area=county)
    kinds = [
        Organisation.Kind.SOCIAL_WORK,
        Organisation.Kind.CHARITY,
        Organisation.Kind.EDUCATION_BUREAU,
        Organisation.Kind.CIVIL_AFFAIRS,
        Organisation.Kind.WOMENS_FEDERATION,
        Organisation.Kind.YOUTH_LEAGUE,
    ]
    services = [s.value for s in ServiceKind]
    organisations = [
        Organisation.objects.create(
            kind=kinds[i % len(kinds)],
            name=f"网络机构{i:02d}",
            area=county,
            services=services,
            contact_email=f"org{i}@example.org",
        )
        for i in range(24)
    ]
    villages = dict(Child.objects.values_list("pk", "village_id"))
    ids = list(villages)
    chosen = rng.sample(ids, int(len(ids) * rate))
    now = timezone.now()
    today = timezone.localdate()
    start = time.perf_counter()
    batch: list[Referral] = []
    for n, child_id in enumerate(chosen):
        age = rng.randrange(365)
        created = now - timedelta(days=age, minutes=rng.randrange(1440))
        due = created.date() + timedelta(days=14)
        if age > 60:
            state = rng.choices(
                [Referral.State.DONE, Referral.State.DECLINED, Referral.State.ACCEPTED],
                [85, 10, 5],
            )[0]
        else:
            state = rng.choice(list(Referral.State))
        answered = state != Referral.State.SENT
        done = state == Referral.State.DONE
        batch.append(
            Referral(
                child_id=child_id,
                village_id=villages[child_id],
                organisation=organisations[n % len(organisations)],
                service=services[n % len(services)],
                reason="父母外出务工，孩子需要帮助",
                state=state,
                referred_by=admin,
                created_at=created,
                due_on=due,
                answered_at=created + timedelta(days=2) if answered else None,
                answered_by=admin if answered else None,
                decline_reason="不在服务范围" if state == Referral.State.DECLINED else "",
                done_at=created + timedelta(days=10) if done else None,
                done_by=admin if done else None,
                what_done="上门服务" if done else "",
                outcome="情况好转" if done else "",
            )
        )
        if len(batch) == 5000:
            Referral.objects.bulk_create(batch)
            batch = []
    Referral.objects.bulk_create(batch)
    print(
        f"INFO\t{len(chosen):,} referrals written in {time.perf_counter() - start:.1f} s; "
        f"{Referral.objects.filter(state__in=Referral.OPEN_STATES, due_on__lt=today).count():,}"
        " overdue",
        flush=True,
    )
    with transaction.atomic():
        conferences = []
        for child_id in rng.sample(ids, len(ids) // 500):
            held = today - timedelta(days=rng.randrange(365))
            conferences.append(
                CaseConference(
                    child_id=child_id,
                    held_on=held,
                    place="县未成年人保护工作站",
                    reason="高风险",
                    state=CaseConference.State.HELD,
                    convened_by=admin,
                    created_at=now - timedelta(days=rng.randrange(365)),
                )
            )
        CaseConference.objects.bulk_create(conferences, batch_size=5000)
        actions = [
            ConferenceAction(
                conference=c,
                what="每周家访一次",
                owner=admin,
                due_on=c.held_on + timedelta(days=30),
                created_at=now,
                created_by=admin,
            )
            for c in conferences
            for _ in range(2)
        ]
        ConferenceAction.objects.bulk_create(actions, batch_size=5000)
    print(f"INFO\t{len(conferences):,} conferences, {len(actions):,} actions", flush=True)


def inner(requests: int, rate: float) -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from care365.accounts.models import Role
    from care365.areas.models import Area
    from care365.network.models import ConferenceAction, Referral
    from care365.registry.models import Child

    write_network(rate)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    county = Area.objects.get(level=Area.Level.COUNTY)
    by_village = dict(
        Child.objects.values("village_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("village_id", "n")[:1]
    )
    village = Area.objects.get(pk=next(iter(by_village)))
    township = village.parent
    admin = _user("b_admin", role=Role.COUNTY_ADMIN, area=county)
    supervisor = _user("b_sup", role=Role.SUPERVISOR, area=township)
    director = _user("b_dir", role=Role.DIRECTOR, area=village)
    # The director owns the actions of their village's conferences.
    ConferenceAction.objects.filter(conference__child__village=village).update(owner=director)
    organisation = Referral.objects.values_list("organisation", flat=True).first()
    print(
        f"INFO\tcounty {Child.objects.count():,} children, "
        f"{Referral.objects.count():,} referrals; township "
        f"{Referral.objects.filter(child__village__parent=township).count():,}, village "
        f"{Referral.objects.filter(child__village=village).count():,}",
        flush=True,
    )
    pages = [
        ("referrals page (admin)", admin, reverse("network:referral-list")),
        ("referrals page 40 (admin)", admin, reverse("network:referral-list") + "?page=40"),
        ("overdue referrals (admin)", admin, reverse("network:referral-list") + "?overdue=1"),
        ("referrals page (supervisor)", supervisor, reverse("network:referral-list")),
        ("referrals page (director)", director, reverse("network:referral-list")),
        ("referrals API (admin)", admin, "/api/v1/referrals"),
        ("referrals API overdue (admin)", admin, "/api/v1/referrals?overdue=true"),
        ("referrals API (supervisor)", supervisor, "/api/v1/referrals"),
        ("conferences (admin)", admin, reverse("network:conference-list")),
        ("my actions (director)", director, reverse("network:conference-actions-mine")),
    ]
    try:
        inbox = reverse("network:staff-referrals")
    except NoReverseMatch:
        inbox = ""
    if inbox and organisation is not None:
        staff = _user("b_staff", role=Role.ORG_STAFF, organisation_id=organisation)
        pages.append(("organisation inbox (staff)", staff, inbox))
    client = Client()
    for name, user, url in pages:
        client.force_login(user)
        first = client.get(url)
        if first.status_code != 200:
            raise SystemExit(f"{name}: {first.status_code}")
        times = []
        for _ in range(requests):
            t0 = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"RESULT\t{name}\t{statistics.median(times):.1f}\t{p95:.1f}", flush=True)


def measure(url: str, children: int, rate: float, requests: int, *, seeded: bool) -> None:
    env = env_for(url)
    manage(env, "migrate", "--no-input")
    if not seeded:
        took = manage(env, "seed", "--children", str(children), "--seed", SEED)
        print(f"seed {children:,} children: {took:.1f} s", flush=True)
    process = subprocess.Popen(
        [PYTHON, __file__, "--inner", "--requests", str(requests), "--rate", str(rate)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    print(f"{'list':36} {'p50 ms':>8} {'p95 ms':>8}", flush=True)
    for line in process.stdout:
        kind, _, rest = line.rstrip("\n").partition("\t")
        if kind == "INFO":
            print(rest, flush=True)
        elif kind == "RESULT":
            name, p50, p95 = rest.split("\t")
            print(f"{name:36} {float(p50):8.1f} {float(p95):8.1f}", flush=True)
    if process.wait():
        raise SystemExit(process.returncode)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=0.05, help="share of children referred")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--db", default="postgres", choices=("postgres", "sqlite"))
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args.requests, args.rate)
        return
    if args.db == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "referrals.sqlite3"
            measure(f"sqlite:///{path}", args.children, args.rate, args.requests, seeded=False)
        return
    exists = PG_DB in psql("SELECT datname FROM pg_database").split()
    seeded = False
    if exists and args.keep:
        url = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
        count = subprocess.run(
            ["psql", url, "-qtA", "-c", "SELECT count(*) FROM registry_child"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        seeded = count == str(args.children)
    if not seeded:
        psql(f"DROP DATABASE IF EXISTS {PG_DB}")
        psql(f"CREATE DATABASE {PG_DB}")
    try:
        measure(
            f"postgres://postgres@127.0.0.1:5432/{PG_DB}",
            args.children,
            args.rate,
            args.requests,
            seeded=seeded,
        )
    finally:
        if not args.keep:
            psql(f"DROP DATABASE IF EXISTS {PG_DB}")


if __name__ == "__main__":
    main()
