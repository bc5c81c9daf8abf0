"""A small county with a bit of everything, for checking every figure against counts made here.

Village A (township A): child A (personas) paired with all three carers, weekly visits; four more
children of varied age, sex, carer and schooling, one with a doctor only. Village B (township B):
child B and two more, none paired, one who left. Alerts, screenings, examinations and wishes in
this month and in the same month of the year before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from care365.care.models import CareTask, Examination, Screening, Wish
from care365.care.services.plans import plan_due_rebuild
from care365.care.tests.factories import consent, contacts, pair, registered_on
from care365.protection.models import Alert
from care365.registry.models import (
    Child,
    ConsentPurpose,
    ExitReason,
    Guardian,
    GuardianRelationship,
    StatusKind,
)
from care365.registry.tests.factories import ChildFactory, LeftBehindChildFactory, status_open
from conftest import Personas

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = timedelta(days=1)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


@dataclass
class County:
    p: Personas
    today: date
    extra_a: list[Child]
    extra_b: list[Child]
    exited: Child


def years_ago(today: date, years: int) -> date:
    return today.replace(year=today.year - years, day=min(today.day, 28))


@pytest.fixture
def county(personas: Personas) -> County:
    today = timezone.localdate()
    p = personas
    registered = today - 200 * D
    for child in (p.child_a, p.child_b):
        registered_on(child, registered)
    # Child A: the whole team, weekly volunteer visits and parents' calls, a home visit a month.
    consent(p.child_a, ConsentPurpose.VOLUNTEER, registered)
    consent(p.child_a, ConsentPurpose.HEALTH_SCREENING, registered)
    for user in (p.officer, p.doctor, p.volunteer):
        pair(p.child_a, user, registered)
    weekly = [registered + 7 * k * D for k in range(200 // 7 + 1)]
    contacts(p.child_a, p.volunteer, "volunteer_visit", weekly)
    contacts(p.child_a, p.director_a, "parent_contact", weekly)
    contacts(p.child_a, p.director_a, "home_visit", [registered + 30 * k * D for k in range(7)])
    extra_a = [
        LeftBehindChildFactory.create(
            village=p.village_a, sex="M", birth_date=years_ago(today, 3), grade="k"
        ),
        LeftBehindChildFactory.create(
            village=p.village_a, sex="F", birth_date=years_ago(today, 15), grade="j3", boarding=True
        ),
        ChildFactory.create(village=p.village_a, sex="M", birth_date=years_ago(today, 9)),
        ChildFactory.create(
            village=p.village_a, sex="F", birth_date=years_ago(today, 17), grade="out"
        ),
    ]
    status_open(extra_a[2], StatusKind.DIFFICULTY_POVERTY)
    status_open(extra_a[3], StatusKind.UNSUPPORTED)
    Guardian.objects.create(
        child=extra_a[2], name="王爷爷", relationship=GuardianRelationship.GRANDFATHER
    )
    pair(extra_a[0], p.doctor, registered)
    for child in extra_a:
        registered_on(child, registered)
    extra_b = [
        LeftBehindChildFactory.create(
            village=p.village_b, sex="F", birth_date=years_ago(today, 7), grade="p1"
        ),
        LeftBehindChildFactory.create(
            village=p.village_b, sex="F", birth_date=years_ago(today, 12), grade="p6"
        ),
    ]
    exited = LeftBehindChildFactory.create(village=p.village_b, sex="M")
    for child in (*extra_b, exited):
        registered_on(child, registered)
    Child.objects.filter(pk=exited.pk).update(
        exited_on=today - 3 * D, exit_reason=ExitReason.PARENTS_RETURNED
    )
    # Examinations: child A 30 days ago (overweight), extra A0 a year and a month ago.
    Examination.objects.create(
        child=p.child_a,
        examined_on=today - 30 * D,
        age_days=3000,
        entered_by=p.doctor,
        growth_classes=["overweight"],
    )
    Examination.objects.create(
        child=extra_a[0],
        examined_on=years_ago(today, 1) - 31 * D,
        age_days=800,
        entered_by=p.doctor,
    )
    # Screenings this month: one above the cut-off with its referral, one below.
    for child, above in ((p.child_a, True), (extra_a[1], False)):
        s = Screening.objects.create(
            child=child,
            instrument="phq9",
            instrument_version="1",
            screened_on=today,
            answers=[0] * 9,
            total=12 if above else 2,
            band="moderate" if above else "minimal",
            above_cutoff=above,
            entered_by=p.doctor,
        )
        if above:
            CareTask.objects.create(
                kind=CareTask.Kind.REFERRAL,
                child=child,
                screening=s,
                assignee=p.doctor,
                created_at=at(today),
                due_on=today + 14 * D,
            )
    # Alerts: two this month in village A (one acknowledged after 5 minutes and reached after
    # 40), one in village B a year ago, still open.
    raised = at(today, 8)
    Alert.objects.create(
        child=p.child_a,
        county=p.county,
        village=p.village_a,
        kind="danger",
        source="web",
        policy={},
        raised_at=raised,
        state="with_child",
        acknowledged_at=raised + timedelta(minutes=5),
        with_child_at=raised + timedelta(minutes=40),
    )
    Alert.objects.create(
        child=extra_a[1],
        county=p.county,
        village=p.village_a,
        kind="self_harm",
        source="web",
        policy={},
        raised_at=raised + timedelta(minutes=1),
        state="resolved",
        acknowledged_at=raised + timedelta(minutes=21),
        resolved_at=raised + timedelta(minutes=90),
        resolution="safe",
    )
    Alert.objects.create(
        child=p.child_b,
        county=p.county,
        village=p.village_b,
        kind="missing",
        source="web",
        policy={},
        raised_at=at(years_ago(today, 1)),
    )
    # Wishes: one posted and delivered this month, one open.
    Wish.objects.create(
        child=p.child_a,
        what="a book",
        cost_yuan=30,
        posted_by=p.director_a,
        posted_at=at(today, 9),
        state=Wish.State.DELIVERED,
        claimed_at=at(today, 10),
        delivered_at=at(today, 11),
    )
    Wish.objects.create(
        child=extra_a[1], what="shoes", cost_yuan=80, posted_by=p.director_a, posted_at=at(today)
    )
    # Written straight to the tables (an exit, examinations): the children's stored next-due
    # dates rewritten as the services would have.
    plan_due_rebuild()
    return County(p=p, today=today, extra_a=extra_a, extra_b=extra_b, exited=exited)
