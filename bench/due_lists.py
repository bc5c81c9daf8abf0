"""The due lists before and after the next-due dates were stored (care.PlanDue), side by side in
one process on one seeded database.

    CARE365_DEMO=1 CARE365_DATA_DIR=/tmp/due-data .venv/bin/care365 migrate
    CARE365_DEMO=1 CARE365_DATA_DIR=/tmp/due-data .venv/bin/care365 seed --children 30000 \
        --seed 7 --history 90
    CARE365_DEMO=1 CARE365_DATA_DIR=/tmp/due-data .venv/bin/python bench/due_lists.py \
        [--requests 10] [--rebuild]

Uses the database the settings name (CARE365_DATA_DIR or DATABASE_URL), seeded and migrated;
rebuilds the stored rows first when there are none (or with --rebuild: timed). As the county
administrator, a supervisor of the largest township, a director of its largest village and the
doctor with the most children (a login made for them), each page is requested with Django's test
client, alternately "before" (every child's plan worked out per request by `plan_status`, as
`due_for_user` did before this change, put back in place of the selector) and "after" (the code
as it is), after one warm-up request of each. Checks first that both give the same items in the
same order for each user (every field), then prints the medians (ms), p95 of "after" and the
ratio before / after per page.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the stored rows (timed)")
    args = parser.parse_args()

    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db.models import Count, Q
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from care365.accounts.models import Role, User
    from care365.areas.models import Area
    from care365.care import selectors as care_selectors
    from care365.care.access import RESPONSIBLE, account, responsible_children
    from care365.care.models import PlanDue
    from care365.care.selectors import DueItem
    from care365.care.services.plans import plan_due_rebuild
    from care365.carers.models import Carer, CarerRole
    from care365.registry.models import Child

    if args.rebuild or not PlanDue.objects.exists():
        t0 = time.perf_counter()
        print(plan_due_rebuild(), flush=True)
        print(f"plan_due_rebuild: {time.perf_counter() - t0:.1f} s", flush=True)

    def old_due_for_user(
        user: User, today: date, *, within_days: int = 0, kinds: Collection[str] | None = None
    ) -> list[DueItem]:
        """`due_for_user` as it was: every child's plan worked out, then filtered and sorted."""
        acc = account(user)
        if acc is None:
            return []
        mine = RESPONSIBLE.get(acc.role, frozenset())
        wanted = mine if kinds is None else mine & set(kinds)
        children = responsible_children(acc).only(*care_selectors.PLAN_FIELDS)
        items = care_selectors.plan_status(children, wanted, today)
        horizon = today + timedelta(days=within_days)
        due = [item for item in items if item.due_on <= horizon]
        due.sort(key=lambda i: (-i.days_overdue, i.kind, i.child.pk))
        return due

    class OldList(list[DueItem]):
        """The old list with the lazy list's counts (the old pages counted it in Python)."""

        def count(self) -> int:  # type: ignore[override]
            return len(self)

        def overdue_count(self) -> int:
            return sum(1 for i in self if i.days_overdue > 0)

    def old_due_list_for_user(user: User, today: date, **kwargs: Any) -> OldList:
        return OldList(old_due_for_user(user, today, **kwargs))

    def old_examinations_due_list(user: User, today: date, *, within_days: int = 0) -> OldList:
        return old_due_list_for_user(user, today, within_days=within_days, kinds={"examination"})

    new = (care_selectors.due_list_for_user, care_selectors.examinations_due_list)

    @contextmanager
    def before() -> Iterator[None]:
        care_selectors.due_list_for_user = old_due_list_for_user  # type: ignore[assignment]
        care_selectors.examinations_due_list = old_examinations_due_list  # type: ignore[assignment]
        try:
            yield
        finally:
            care_selectors.due_list_for_user, care_selectors.examinations_due_list = new

    @contextmanager
    def after() -> Iterator[None]:
        yield

    def user(username: str, role: str, area: Area | None, carer: Carer | None = None) -> User:
        u, _ = User.objects.update_or_create(
            username=username,
            defaults={"role": role, "area": area, "carer": carer, "is_active": True},
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
    doctor = (
        Carer.objects.filter(role=CarerRole.DOCTOR)
        .annotate(n=Count("pairings", filter=Q(pairings__until__isnull=True)))
        .order_by("-n", "pk")
        .first()
    )
    users = {
        "admin": user("b_admin", Role.COUNTY_ADMIN, county),
        "supervisor": user("b_sup", Role.SUPERVISOR, township),
        "director": user("b_dir", Role.DIRECTOR, village),
    }
    if doctor is not None:
        existing = User.objects.filter(carer=doctor).first()
        users["doctor"] = existing or user("b_doc", Role.DOCTOR, None, doctor)
    active = Child.objects.filter(exited_on__isnull=True)
    print(
        f"county {active.count()} active children, {PlanDue.objects.count()} stored rows; "
        f"township {active.filter(village__parent=township).count()}, "
        f"village {active.filter(village=village).count()}, "
        f"doctor {responsible_children(users['doctor']).count() if 'doctor' in users else 0}",
        flush=True,
    )
    today = timezone.localdate()
    for who, u in users.items():
        for within in (0, 7):
            old = old_due_for_user(u, today, within_days=within)
            got = care_selectors.due_for_user(u, today, within_days=within)
            key: Callable[[DueItem], tuple[Any, ...]] = lambda i: (  # noqa: E731
                i.child.pk,
                i.kind,
                i.due_on,
                i.days_overdue,
                i.last_on,
                i.interval_days,
                i.tightened,
            )
            assert [key(i) for i in old] == [key(i) for i in got], (who, within)
        print(f"{who}: the same {len(old)} items due within a week, in the same order", flush=True)

    due, exams, home, api = (
        reverse("care:care-due"),
        reverse("care:care-exams-due"),
        reverse("web:home"),
        "/api/v1/care/due",
    )
    pages: list[tuple[str, User, str]] = [
        ("admin due list", users["admin"], due),
        ("admin due list, last page", users["admin"], f"{due}?page=last"),
        ("admin examinations due", users["admin"], exams),
        ("admin API due list", users["admin"], api),
        ("supervisor due list", users["supervisor"], due),
        ("director due list", users["director"], due),
        ("director home", users["director"], home),
    ]
    if "doctor" in users:
        pages += [
            ("doctor due list", users["doctor"], due),
            ("doctor home", users["doctor"], home),
        ]
    client = Client()
    sides: dict[str, Callable[[], Any]] = {"before": before, "after": after}
    print(f"\n| page ({args.requests} requests) | before p50 | after p50 | after p95 | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, u, url in pages:
        client.force_login(u)
        times: dict[str, list[float]] = {"before": [], "after": []}
        for side, ctx in sides.items():
            with ctx():
                status = client.get(url).status_code
                assert status == 200, (name, side, status)
        for _ in range(args.requests):
            for side, ctx in sides.items():
                with ctx():
                    t0 = time.perf_counter()
                    client.get(url)
                    times[side].append((time.perf_counter() - t0) * 1000)
        b, a = statistics.median(times["before"]), statistics.median(times["after"])
        p95 = sorted(times["after"])[max(0, round(0.95 * len(times["after"])) - 1)]
        print(f"| {name} | {b:,.0f} | {a:,.0f} | {p95:,.0f} | {b / a:,.1f}× |", flush=True)


if __name__ == "__main__":
    main()
