"""The demo's year of history (`care365 demo`, `care365 seed --history DAYS`): every kind of
record spread over the months, the six demo logins on the same children, the audit chain whole,
the same history for the same seed and day, and every page each login reaches answering."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F, Max, QuerySet
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from care365.accounts.access import children_for_user
from care365.accounts.models import User
from care365.care.models import (
    CareEvent,
    CareTask,
    Contact,
    ContactKind,
    Examination,
    HealthSession,
    InterestActivity,
    LearningGoal,
    LearningNote,
    RiskScore,
    Screening,
    Wish,
)
from care365.carers.models import CarerRole
from care365.core.ledger import chain_verify, chained_models
from care365.core.tests.routes import page_patterns
from care365.pairing.models import Pairing
from care365.protection.models import Alert, AlertEvent, State
from care365.registry.models import Child, ChildStatus, Consent, ConsentPurpose, ExitReason
from care365.seeding.management.commands import demo
from conftest import rolled_back_after_module

CHILDREN = 500
LOGINS = ("admin", "supervisor", "director", "police", "doctor", "volunteer")


def run_demo() -> str:
    out = StringIO()
    call_command("demo", "--no-serve", stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture(scope="module")
def module_year(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """`care365 demo --no-serve` on an empty database, once for the module's tests that read
    it: a county of CHILDREN with its year."""
    with rolled_back_after_module(django_db_blocker), pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "DEMO_CHILDREN", CHILDREN)
        with django_db_blocker.unblock():
            out = run_demo()
        yield out


@pytest.fixture
def year(module_year: str, db: None) -> str:
    return module_year


def months(rows: QuerySet[Any], field: str) -> set[str]:
    return {f"{d.year}-{d.month:02d}" for d in rows.values_list(field, flat=True)}


def local_months(rows: QuerySet[Any], field: str) -> set[str]:
    return {timezone.localtime(d).strftime("%Y-%m") for d in rows.values_list(field, flat=True)}


def test_the_demo_has_a_year_of_every_kind_of_record_spread_over_the_months(year: str) -> None:
    today = timezone.localdate()
    first = today - timedelta(days=364)
    every_month = {
        f"{d.year}-{d.month:02d}" for d in (first + timedelta(days=i) for i in range(365))
    }
    assert "history of 365 days" in year

    contacts = Contact.objects.all()
    assert contacts.filter(occurred_on__lt=first).count() == 0
    assert contacts.filter(occurred_on__gt=today).count() == 0
    for kind in (
        ContactKind.VOLUNTEER_VISIT,
        ContactKind.HOME_VISIT,
        ContactKind.PARENT_CONTACT,
        ContactKind.SAFETY_CHECK,
    ):
        assert months(contacts.filter(kind=kind), "occurred_on") == every_month, kind
    assert contacts.filter(kind=ContactKind.CONSULTATION).exists()
    # Each visit is logged by someone whose role logs that kind, the carer's visits by the carer.
    for kind, role in (
        (ContactKind.VOLUNTEER_VISIT, "volunteer"),
        (ContactKind.SAFETY_CHECK, "police"),
        (ContactKind.HOME_VISIT, "director"),
    ):
        assert set(contacts.filter(kind=kind).values_list("logged_by__role", flat=True)) == {role}
    assert not contacts.filter(kind=ContactKind.VOLUNTEER_VISIT, carer__isnull=True).exists()

    # About weekly volunteer visits where a volunteer is paired all year, some children overdue.
    visits = Counter(
        contacts.filter(kind=ContactKind.VOLUNTEER_VISIT).values_list("child_id", flat=True)
    )
    assert 25 < sorted(visits.values())[len(visits) // 2] < 60
    last = dict(
        Contact.objects.filter(kind=ContactKind.HOME_VISIT)
        .values_list("child_id")
        .order_by()
        .annotate(last=Max("occurred_on"))
        .values_list("child_id", "last")
    )
    overdue = sum(1 for day in last.values() if (today - day).days > 30)
    assert 0 < overdue < len(last) / 2

    exams = Examination.objects.all()
    assert len(months(exams, "examined_on")) >= 9
    assert not exams.exclude(
        child__consents__purpose=ConsentPurpose.HEALTH_SCREENING,
        child__consents__given_on__lte=F("examined_on"),
    ).exists()
    zh = [z for z in exams.values_list("zhfa", flat=True) if z is not None]
    assert len(zh) > 100 and all(-4 < z < 4 for z in zh)
    assert -0.8 < sum(zh) / len(zh) < 0.1  # rural children a little shorter than WHO's median
    classes = {c for found in exams.values_list("growth_classes", flat=True) for c in found}
    assert "stunting" in classes  # some children are short for their age, as in rural counties
    assert not any(exams.values_list("growth_flags", flat=True))  # nothing implausible

    screenings = Screening.objects.all()
    assert len(months(screenings, "screened_on")) >= 9
    positive = screenings.filter(above_cutoff=True)
    assert 0 < positive.count() < screenings.count() / 4
    # Every screening had the guardian's consent; every positive one opened a referral.
    assert not screenings.exclude(child__consents__purpose=ConsentPurpose.HEALTH_SCREENING).exists()
    referred = set(
        CareTask.objects.filter(kind=CareTask.Kind.REFERRAL).values_list("screening", flat=True)
    )
    assert referred == set(positive.values_list("pk", flat=True))
    assert CareTask.objects.filter(state=CareTask.State.DONE).exists()

    wishes = Wish.objects.all()
    assert len(local_months(wishes, "posted_at")) >= 9
    assert wishes.filter(state=Wish.State.CONFIRMED).count() > wishes.count() / 3
    assert wishes.filter(state=Wish.State.OPEN).exists()
    june = date(today.year if today >= date(today.year, 6, 1) else today.year - 1, 6, 1)
    around_june = wishes.filter(
        delivered_at__date__gte=june - timedelta(days=4),
        delivered_at__date__lte=june + timedelta(days=2),
    )
    assert around_june.count() > wishes.filter(delivered_at__isnull=False).count() / 4
    assert CareEvent.objects.filter(kind=CareEvent.Kind.CHILDRENS_DAY, held_on=june).exists()
    assert CareEvent.objects.filter(children__isnull=False).exists()
    assert HealthSession.objects.filter(children__isnull=False).exists()
    assert not HealthSession.objects.filter(topic="other").exists()  # every title has its topic
    # Study help and interests: for children a volunteer visits with the guardian's consent.
    goals = LearningGoal.objects.all()
    assert goals.exists() and LearningNote.objects.count() >= goals.count()
    assert not goals.exclude(child__consents__purpose=ConsentPurpose.VOLUNTEER).exists()
    assert not goals.exclude(carer__role="volunteer").exists()
    assert goals.filter(state=LearningGoal.State.ACHIEVED).exists()
    assert InterestActivity.objects.exists()

    alerts = Alert.objects.all()
    resolved = alerts.filter(state=State.RESOLVED)
    assert resolved.count() >= 5 and len(local_months(resolved, "raised_at")) >= 3
    assert 1 <= alerts.exclude(state=State.RESOLVED).count() <= 3
    for alert in resolved:
        assert alert.acknowledged_at is not None and alert.resolved_at is not None
        assert alert.raised_at < alert.acknowledged_at <= alert.resolved_at, alert.pk
        assert (alert.acknowledged_at - alert.raised_at).total_seconds() <= 2 * 3600
        kinds = list(alert.events.order_by("at", "pk").values_list("kind", flat=True))
        assert kinds[0] == AlertEvent.Kind.RAISED and kinds[-1] == AlertEvent.Kind.RESOLVED

    # Entries and exits: children registered during the year, some who left, with reasons.
    registered = Child.objects.filter(registered_at__date__gte=first)
    assert 0 < registered.count() < Child.objects.count() / 4
    exited = Child.objects.filter(exited_on__isnull=False)
    assert exited.filter(exited_on__lt=first).count() == 0
    reasons = set(exited.values_list("exit_reason", flat=True))
    assert {ExitReason.AGED_OUT, ExitReason.PARENTS_RETURNED} <= reasons
    assert not ChildStatus.objects.filter(child__in=exited, ended_on__isnull=True).exists()
    assert not Pairing.objects.filter(child__in=exited, until__isnull=True).exists()
    for child in exited.filter(exit_reason=ExitReason.AGED_OUT):
        assert child.exited_on is not None and child.age_on(child.exited_on) in (16, 18)
    assert ChildStatus.objects.filter(ended_on__gte=first).exists()
    assert (
        Child.objects.filter(registered_at__date__lt=first).count()
        > Child.objects.filter(exited_on__isnull=True).count() * 0.7
    )  # the county a year ago: "change on the year before"

    # Risk scores recomputed for today, with reasons from the history.
    scores = RiskScore.objects.filter(computed_on=today)
    assert scores.count() == Child.objects.filter(exited_on__isnull=True).count()
    assert scores.filter(on_list=True).exists()


def test_the_six_demo_logins_meet_on_the_directors_village_children(year: str) -> None:
    users = {u.username: u for u in User.objects.filter(username__in=LOGINS)}
    village = users["director"].area
    shared = set(children_for_user(users["director"]).values_list("pk", flat=True))
    for name in ("admin", "supervisor", "police", "doctor", "volunteer"):
        shared &= set(children_for_user(users[name]).values_list("pk", flat=True))
    assert shared, "the six logins share no child"
    assert all(c.village == village for c in Child.objects.filter(pk__in=shared))
    volunteer = users["volunteer"].carer
    assert volunteer is not None
    assert len(shared) == min(
        volunteer.capacity,
        Consent.objects.filter(
            child__village=village,
            child__exited_on=None,
            purpose=ConsentPurpose.VOLUNTEER,
            withdrawn_on=None,
        ).count(),
    )
    # The officer and the doctor have most of the village's children.
    in_village = Child.objects.filter(village=village, exited_on=None).count()
    for role in (CarerRole.POLICE, CarerRole.DOCTOR):
        carer = users[role].carer
        assert carer is not None
        mine = Pairing.objects.filter(carer=carer, until=None, child__village=village).count()
        assert mine == min(carer.capacity, in_village), role
    # ... and each of the carers' logins has a year of their own visits with them.
    for name, kind in (
        ("volunteer", ContactKind.VOLUNTEER_VISIT),
        ("police", ContactKind.SAFETY_CHECK),
        ("director", ContactKind.HOME_VISIT),
    ):
        logged = Contact.objects.filter(logged_by=users[name], kind=kind, child__in=shared)
        assert logged.exists(), name
    assert Examination.objects.filter(entered_by=users["doctor"]).exists()
    assert Alert.objects.filter(child__in=shared).exclude(state=State.RESOLVED).exists()
    # The doctor gave health education to the shared children; the volunteer set learning goals
    # for them, and one of them fell in love with music.
    assert HealthSession.objects.filter(doctor=users["doctor"].carer, children__in=shared).exists()
    assert LearningGoal.objects.filter(carer=volunteer, child__in=shared).exists()
    assert InterestActivity.objects.filter(
        carer=volunteer, interest="music", note__contains="爱上了音乐"
    ).exists()


def test_the_audit_chain_holds_after_the_demo(year: str) -> None:
    for model in chained_models():
        _checked, broken = chain_verify(model)
        assert broken is None, (model, broken)
    out = StringIO()
    call_command("verify_audit", stdout=out, stderr=StringIO())
    assert "audit:" in out.getvalue() and "BROKEN" not in out.getvalue()
    from care365.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="seed_history").count() == 1


def _paths(user: User) -> list[tuple[str, str]]:
    """Every page route the login could open: without an id, or with its fullest child's, its
    latest alert's, a carer's."""
    child = children_for_user(user).filter(exited_on=None).order_by("pk").first()
    alert = Alert.objects.filter(child__in=children_for_user(user)).order_by("-pk").first()
    ids = {
        "child_id": child.pk if child else None,
        "alert_id": alert.pk if alert else None,
        "carer_id": user.carer_id,
    }
    found = []
    for name, pattern in page_patterns().items():
        params = re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern))
        if name in ("web:logout", "web:notices-read") or name.startswith("web:login"):
            continue
        if not params:
            found.append((name, reverse(name)))
        elif len(params) == 1 and ids.get(params[0]):
            found.append((name, reverse(name, kwargs={params[0]: ids[params[0]]})))
    return found


# The lists each login's work starts from, and what shows that they have something in them.
LISTS = {
    "admin": (
        "registry:child-list",
        "care:care-risk",
        "protection:alert-board",
        "care:care-wishes",
    ),
    "supervisor": ("registry:child-list", "care:care-due", "care:care-events", "care:care-wishes"),
    "director": ("registry:child-list", "care:care-due", "care:care-wishes", "care:care-events"),
    "police": ("protection:alert-board",),
    "doctor": ("care:care-exams-due", "care:care-health-sessions"),
    "volunteer": ("care:care-wishes",),
}


def test_every_page_each_demo_login_reaches_answers_and_their_lists_show_something(
    year: str,
) -> None:
    for username in LOGINS:
        user = User.objects.get(username=username)
        client = Client()
        assert client.login(username=username, password="demo")
        home = client.get("/")
        assert home.status_code == 200, username
        reached = 0
        for name, path in _paths(user):
            response = client.get(path)
            assert response.status_code < 500, (username, name, response.status_code)
            reached += response.status_code == 200
        assert reached >= 8, username
        for name in LISTS[username]:
            response = client.get(reverse(name))
            assert response.status_code == 200, (username, name)
            body = response.content.decode()
            # A list with rows shows a child's page link, an alert's, or a table body.
            assert re.search(r'href="/(children|alerts)/\d+/|<tbody>\s*<tr', body), (username, name)
