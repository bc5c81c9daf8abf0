"""The county's access log and look-ups by ID number with 100,000 children: warm medians per case.

    .venv/bin/python bench/access_log.py [--children N] [--entries N] [--requests N]
                                         [--data-dir DIR]

Migrates a fresh SQLite database, seeds a county (`care365 seed --children N --seed 1`) and adds
the demo logins (`care365 demo --no-serve`, which also pairs the county), unless --data-dir names
a directory that already holds such a database (then the log is only topped up). It then writes
a year of access log through the ledger's own append (`chain_append`, one entry at a time, so
the chain is the real one): --entries reads of children by the six demo users, each of a child
in that user's scope (mostly views, some edits, exports and ID searches, 2% refused), a tenth as
many look-ups by ID number and as many changes, spread evenly over the last 365 days. Statistics
are gathered (ANALYZE) as the worker's daily job does.

Timing: Django's test client in this process (no server, no network), the county administrator
and a village director signed in, 2 warm-up requests then --requests timed requests per case;
the median and the ratio to the unfiltered access-log page are printed. The hourly limit on ID
look-ups is raised for the run (CARE365_ID_LOOKUPS_PER_HOUR): every look-up still counts the
hour's look-ups and is written to both logs, as in use.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
REASON = "The guardian called and gave this number to check."


def prepare(data_dir: Path, children: int) -> None:
    env = dict(os.environ)
    care365 = [PYTHON, "-m", "care365.cli"]
    print(f"migrating and seeding {children:,} children in {data_dir}...", file=sys.stderr)
    subprocess.run([*care365, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    seed = [*care365, "seed", "--children", str(children), "--seed", "1"]
    subprocess.run(seed, cwd=ROOT, env=env, check=True)
    subprocess.run([*care365, "demo", "--no-serve"], cwd=ROOT, env=env, check=True)


def write_logs(entries: int) -> None:
    """Top the access log up to `entries` reads (and the look-ups and changes to a tenth)."""
    from django.db import transaction
    from django.utils import timezone

    from care365.accounts.access import children_for_user, county_of_user
    from care365.accounts.models import AccessLog, AccessOutcome, AccessPurpose, IdLookup, User
    from care365.core import crypto
    from care365.core.ledger import chain_append
    from care365.core.maintenance import db_analyze
    from care365.core.models import AuditEvent

    rng = random.Random(1)
    users = list(User.objects.exclude(role="").order_by("pk"))
    scope = {u.pk: list(children_for_user(u).values_list("pk", flat=True)) for u in users}
    weights = {"admin": 3, "supervisor": 3, "director": 4, "police": 2, "doctor": 2}
    readers = [u for u in users for _ in range(weights.get(u.username, 1)) if scope[u.pk]]
    keepers = [u for u in users if u.role in ("county_admin", "supervisor", "director")]
    counties = {u.pk: county_of_user(u) for u in keepers}
    purposes = [AccessPurpose.VIEW] * 20 + [AccessPurpose.EDIT] * 3
    purposes += [AccessPurpose.EXPORT, AccessPurpose.ID_SEARCH]
    now = timezone.now()

    def read(at: Any) -> AccessLog:
        user = rng.choice(readers)
        purpose = rng.choice(purposes)
        return AccessLog(
            at=at,
            user=user,
            child_id=rng.choice(scope[user.pk]),
            purpose=purpose,
            route="registry:child-detail",
            reason=REASON if purpose == AccessPurpose.EXPORT else "",
            outcome=AccessOutcome.REFUSED if rng.random() < 0.02 else AccessOutcome.ALLOWED,
        )

    def lookup(at: Any) -> IdLookup:
        user = rng.choice(keepers)
        child = rng.choice(scope[user.pk]) if rng.random() < 0.5 else None
        return IdLookup(
            at=at,
            user=user,
            county=counties[user.pk],
            kind=rng.choice(["search", "confirm"]),
            number_hash=crypto.lookup_hash(str(rng.randrange(10**17, 10**18))),
            child_id=child,
            matched=int(child is not None),
            route="registry:child-search",
        )

    def change(at: Any) -> AuditEvent:
        user = rng.choice(keepers)
        return AuditEvent(
            at=at,
            actor=user,
            action=rng.choice(["child_update", "status_add"]),
            object_type="registry.child",
            object_id=rng.choice(scope[user.pk]),
            changes=["address"],
        )

    started = time.perf_counter()
    for model, make, wanted in (
        (AccessLog, read, entries),
        (IdLookup, lookup, entries // 10),
        (AuditEvent, change, entries // 10),
    ):
        missing = wanted - model._default_manager.count()
        if missing <= 0:
            continue
        step = timedelta(days=365) / (missing + 1)
        first = now - timedelta(days=365)
        for start in range(0, missing, 2000):
            with transaction.atomic():
                for i in range(start, min(missing, start + 2000)):
                    chain_append(make(first + step * (i + 1)))
        print(
            f"{model.__name__}: {missing:,} written, {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
    db_analyze(full=True)


def timed(fn: Callable[[], Any], n: int) -> list[float]:
    for _ in range(2):
        response = fn()
        assert response.status_code == 200, (response.status_code, response.content[:300])
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def measure(requests: int) -> dict[str, list[float]]:
    from django.test import Client

    from care365.accounts.access import children_for_user
    from care365.accounts.models import AccessLog, User
    from care365.registry.models import Child

    results: dict[str, list[float]] = {}

    def case(name: str, fn: Callable[[], Any]) -> None:
        results[name] = timed(fn, requests)
        print(f"  {name:<44}{statistics.median(results[name]):8.1f} ms", file=sys.stderr)

    admin = User.objects.get(username="admin")
    web = Client()
    web.force_login(admin)
    answer = web.post(
        "/api/v1/auth/token",
        json.dumps({"username": "admin", "password": "demo"}),
        content_type="application/json",
    )
    api = {"HTTP_AUTHORIZATION": f"Bearer {answer.json()['token']}"}
    logged = AccessLog.objects.order_by("-pk").values_list("child_id", flat=True).first()
    day = (AccessLog.objects.order_by("at").values_list("at", flat=True)[0]).date()
    mid = day + timedelta(days=180)
    log = "/access-log/"
    case("log page", lambda: web.get(log))
    case("log page 400 (deepest)", lambda: web.get(log, {"page": 400}))
    case("log ?username=admin", lambda: web.get(log, {"username": "admin"}))
    case("log ?username=volunteer", lambda: web.get(log, {"username": "volunteer"}))
    case("log ?child", lambda: web.get(log, {"child": logged}))
    case("log ?purpose=export", lambda: web.get(log, {"purpose": "export"}))
    case("log ?purpose=reveal_id (none)", lambda: web.get(log, {"purpose": "reveal_id"}))
    case("log ?outcome=refused", lambda: web.get(log, {"outcome": "refused"}))
    case("log ?since (half a year)", lambda: web.get(log, {"since": mid}))
    case("log ?until (half a year)", lambda: web.get(log, {"until": mid}))
    week = {"since": mid, "until": mid + timedelta(days=6)}
    case("log ?since&until (a week)", lambda: web.get(log, week))
    every = {"username": "director", "purpose": "view", "outcome": "allowed", **week}
    case("log, every filter", lambda: web.get(log, every))
    case("changes", lambda: web.get(log, {"log": "changes"}))
    case("changes ?username", lambda: web.get(log, {"log": "changes", "username": "director"}))
    case("changes ?since", lambda: web.get(log, {"log": "changes", "since": mid}))
    case("look-ups", lambda: web.get(log, {"log": "lookups"}))
    case("look-ups ?username", lambda: web.get(log, {"log": "lookups", "username": "director"}))
    case("look-ups ?since", lambda: web.get(log, {"log": "lookups", "since": mid}))
    case("API access-log ?child", lambda: web.get("/api/v1/access-log", {"child": logged}, **api))

    for username in ("admin", "director"):
        user = User.objects.get(username=username)
        page = Client()
        page.force_login(user)
        token = page.post(
            "/api/v1/auth/token",
            json.dumps({"username": username, "password": "demo"}),
            content_type="application/json",
        ).json()["token"]
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        ids = children_for_user(user).filter(exited_on__isnull=True).order_by("pk")
        child = Child.objects.get(pk=ids.values_list("pk", flat=True)[ids.count() // 2])
        number = child.id_number

        def search_page(c: Client = page, number: str = number) -> Any:
            c.post("/children/search/", {"q": number})
            return c.get("/children/")

        def search_api(c: Client = page, auth: dict[str, str] = auth, number: str = number) -> Any:
            body = json.dumps({"q": number})
            return c.post("/api/v1/children/search", body, content_type="application/json", **auth)

        def confirm_page(c: Client = page, pk: int = child.pk, number: str = number) -> Any:
            form = {"confirm-id_number": number, "confirm-reason": REASON}
            return c.post(f"/children/{pk}/confirm-id/", form)

        def confirm_api(
            c: Client = page, auth: dict[str, str] = auth, pk: int = child.pk, number: str = number
        ) -> Any:
            body = json.dumps({"id_number": number, "reason": REASON})
            return c.post(
                f"/api/v1/children/{pk}/confirm-id", body, content_type="application/json", **auth
            )

        case(f"ID search page, {username}", search_page)
        case(f"ID search API, {username}", search_api)
        case(f"confirm-id page, {username}", confirm_page)
        case(f"confirm-id API, {username}", confirm_api)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=200_000, help="access-log reads")
    parser.add_argument("--requests", type=int, default=9, help="timed requests per case")
    parser.add_argument("--data-dir", help="reuse (or keep) the database in this directory")
    args = parser.parse_args()
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="care365-bench-log-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        CARE365_DEMO="1",
        CARE365_DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite:///{data_dir / 'care365.sqlite3'}",
        CARE365_ID_LOOKUPS_PER_HOUR="1000000",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    sys.path.insert(0, str(ROOT))
    try:
        if not (data_dir / "care365.sqlite3").exists():
            prepare(data_dir, args.children)
        import django

        django.setup()
        write_logs(args.entries)
        results = measure(args.requests)
    finally:
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    base = statistics.median(results["log page"])
    print(
        f"\naccess log and look-ups by ID number, {args.children:,} children, "
        f"{args.entries:,} reads in the log; {args.requests} requests per case, warm, "
        "Django's test client (ms)"
    )
    print(f"{'case':<44}{'median':>10}{'p90':>10}{'/ log page':>12}")
    for name, samples in results.items():
        median = statistics.median(samples)
        p90 = statistics.quantiles(samples, n=10)[8] if len(samples) > 1 else median
        print(f"{name:<44}{median:>10.1f}{p90:>10.1f}{median / base:>12.2f}")
    print(
        f"\nreproduce: .venv/bin/python bench/access_log.py --children {args.children} "
        f"--entries {args.entries} --requests {args.requests}"
    )


if __name__ == "__main__":
    main()
