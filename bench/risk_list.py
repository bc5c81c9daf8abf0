"""The risk lists and the homes before and after the risk score carried the child's village,
side by side in one process on one seeded database.

    CARE365_DEMO=1 CARE365_DATA_DIR=/tmp/risk-speed-data .venv/bin/care365 seed --children 30000
    CARE365_DEMO=1 CARE365_DATA_DIR=/tmp/risk-speed-data .venv/bin/python bench/risk_list.py \
        [--requests 15]

Uses the database the settings name (CARE365_DATA_DIR or DATABASE_URL), already seeded and
migrated; scores every child first (`risk_recompute`) when no child has a score yet. As the
county administrator, a supervisor of the largest township and a director of its largest
village, each page is requested with Django's test client, alternately "before" (the risk list
read as `child_id IN (the scope's active children)` and the duplicates counted as `child_id IN
(the scope's children)`, as before this change, put back in place of the selectors) and "after"
(the code as it is), after one warm-up request of each. Checks that both give the same rows,
then prints the medians (ms) and the ratio before / after per page.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=15)
    args = parser.parse_args()

    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db.models import QuerySet
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from care365.accounts.access import children_for_user
    from care365.accounts.models import REGISTRY_ROLES, Role, User
    from care365.areas.models import Area
    from care365.care import jobs
    from care365.care import selectors as care_selectors
    from care365.care.models import RiskScore
    from care365.registry.models import Child, DuplicateFlag
    from care365.web import selectors as web_selectors

    if not RiskScore.objects.exists():
        t0 = time.perf_counter()
        print(jobs.risk_recompute(timezone.localdate()), flush=True)
        print(f"risk_recompute: {time.perf_counter() - t0:.1f} s", flush=True)

    def old_risk_list(user: User, *, on_list_only: bool = True) -> QuerySet[RiskScore]:
        if not user.is_active or user.role not in REGISTRY_ROLES:
            return RiskScore.objects.none()
        qs = RiskScore.objects.filter(
            child__in=children_for_user(user).filter(exited_on__isnull=True).values("pk")
        )
        qs = qs.filter(on_list=True) if on_list_only else qs.filter(score__gt=0)
        return qs.select_related("child", "child__village").order_by("-score", "child_id")

    def old_open_duplicates(user: User) -> QuerySet[DuplicateFlag]:
        return (
            DuplicateFlag.objects.filter(
                child__in=children_for_user(user), resolution=DuplicateFlag.Resolution.OPEN
            )
            .select_related("child__village", "other__village")
            .order_by("flagged_at", "pk")
        )

    new_risk_list = care_selectors.risk_list
    new_open_duplicates = web_selectors.open_duplicates

    @contextmanager
    def before() -> Iterator[None]:
        care_selectors.risk_list = old_risk_list  # type: ignore[assignment]
        web_selectors.open_duplicates = old_open_duplicates
        try:
            yield
        finally:
            care_selectors.risk_list = new_risk_list
            web_selectors.open_duplicates = new_open_duplicates

    @contextmanager
    def after() -> Iterator[None]:
        yield

    def user(username: str, role: str, area: Area) -> User:
        u, _ = User.objects.update_or_create(
            username=username, defaults={"role": role, "area": area, "is_active": True}
        )
        return u

    county = Area.objects.get(level=Area.Level.COUNTY)
    township = max(
        Area.objects.filter(parent=county),
        key=lambda t: Child.objects.filter(village__parent=t).count(),
    )
    village = max(
        Area.objects.filter(parent=township), key=lambda v: Child.objects.filter(village=v).count()
    )
    users = {
        "admin": user("b_admin", Role.COUNTY_ADMIN, county),
        "supervisor": user("b_sup", Role.SUPERVISOR, township),
        "director": user("b_dir", Role.DIRECTOR, village),
    }
    print(
        f"county {Child.objects.filter(exited_on__isnull=True).count()} active children, "
        f"{RiskScore.objects.filter(on_list=True).count()} on the risk list, "
        f"{DuplicateFlag.objects.filter(resolution='open').count()} open possible duplicates; "
        f"township {Child.objects.filter(village__parent=township).count()}, "
        f"village {Child.objects.filter(village=village).count()}",
        flush=True,
    )
    for who, u in users.items():
        for only in (True, False):
            old = [r.child_id for r in old_risk_list(u, on_list_only=only)]
            new = [r.child_id for r in new_risk_list(u, on_list_only=only)]
            assert old == new, (who, only)
        assert list(old_open_duplicates(u)) == list(new_open_duplicates(u)), who
        print(f"{who}: same risk list ({len(old)} with a score) and duplicates", flush=True)

    pages = [
        (f"{who} {page}", u, reverse(url))
        for page, url in (("risk list", "care:care-risk"), ("home", "web:home"))
        for who, u in users.items()
    ]
    client = Client()
    sides: dict[str, Callable[[], Any]] = {"before": before, "after": after}
    print(f"\n| page (median ms, {args.requests} requests) | before | after | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for name, u, url in pages:
        client.force_login(u)
        times: dict[str, list[float]] = {"before": [], "after": []}
        for side, ctx in sides.items():
            with ctx():
                assert client.get(url).status_code == 200, (name, side)
        for _ in range(args.requests):
            for side, ctx in sides.items():
                with ctx():
                    t0 = time.perf_counter()
                    client.get(url)
                    times[side].append((time.perf_counter() - t0) * 1000)
        b, a = statistics.median(times["before"]), statistics.median(times["after"])
        print(f"| {name} | {b:.0f} | {a:.0f} | {b / a:.2f}× |", flush=True)


if __name__ == "__main__":
    main()
