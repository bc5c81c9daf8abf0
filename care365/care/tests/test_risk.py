"""The risk score (pure), the daily recompute job and the risk list."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from care365.care import jobs, selectors, services
from care365.care.models import CareSettings, ContactKind, RiskScore
from care365.care.risk import WEIGHTS, Facts, Reason, assess
from care365.care.tests.factories import (
    NOW,
    TODAY,
    ExaminationFactory,
    consent,
    contacts,
    registered_on,
    team,
)
from care365.protection import services as protection
from care365.registry.models import Child, ConsentPurpose, ExitReason, Guardian
from care365.registry.services import child_exit
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

D = timedelta(days=1)


def reasons(facts: Facts) -> dict[str, int]:
    return {item.reason.value: item.points for item in assess(facts).items}


# --- the score (pure) ----------------------------------------------------------------------


def test_a_child_with_nothing_wrong_scores_nothing() -> None:
    result = assess(Facts(age=10, grade="p4"))
    assert (result.score, result.items) == (0, ())


def test_overdue_contacts_count_once_per_kind() -> None:
    result = assess(Facts(age=10, overdue_kinds=("safety_check", "home_visit")))
    (item,) = result.items
    assert (item.reason, item.points, item.params["kinds"]) == (
        Reason.OVERDUE_CONTACT,
        2 * WEIGHTS[Reason.OVERDUE_CONTACT],
        ["home_visit", "safety_check"],
    )
    assert reasons(Facts(age=10, exam_overdue_days=3)) == {"exam_overdue": 5}


def test_no_parent_contact_for_two_weeks() -> None:
    away = Facts(age=10, parents_away=True, days_without_parent_contact=14)
    assert reasons(away) == {"no_parent_contact": 20}
    assert reasons(Facts(age=10, parents_away=True, days_without_parent_contact=13)) == {}
    assert reasons(Facts(age=10, parents_away=False, days_without_parent_contact=90)) == {}


@pytest.mark.parametrize(
    ("moods", "expected"),
    [
        ((4, 3, 2), {"falling_mood": 15}),
        ((5, 3, 3), {"falling_mood": 15}),
        ((1, 5, 4, 4, 3), {"falling_mood": 15}),  # only the last three count
        ((4, 4, 4), {}),
        ((2, 3, 1), {}),
        ((3, 2, 2), {"falling_mood": 15}),
        ((4, 2, 1), {"falling_mood": 15}),  # falling is the stronger reason
        ((1, 2, 2), {"low_mood": 10}),
        ((2, 1), {"low_mood": 10}),
        ((2,), {}),
    ],
)
def test_mood(moods: tuple[int, ...], expected: dict[str, int]) -> None:
    assert reasons(Facts(age=10, moods=moods)) == expected


def test_screening_and_self_harm() -> None:
    assert reasons(Facts(age=13, screening_positive=True)) == {"screening_positive": 25}
    assert reasons(Facts(age=13, screening_positive=True, self_harm=True)) == {"self_harm": 40}


def test_growth_classes_and_flags() -> None:
    assert reasons(Facts(age=8, growth_classes=("stunting", "severe_thinness"))) == {
        "growth_severe": 15
    }
    assert reasons(Facts(age=8, growth_classes=("overweight",))) == {"growth_class": 10}
    assert reasons(Facts(age=8, growth_flags=("implausible_zhfa",))) == {"growth_flag": 5}


def test_alerts() -> None:
    assert reasons(Facts(age=8, open_alerts=1, recent_alerts=2)) == {"alert_open": 30}
    assert reasons(Facts(age=8, recent_alerts=1)) == {"alert_recent": 15}


def test_under_16_living_alone() -> None:
    assert reasons(Facts(age=15, lives_alone=True)) == {"alone_under_16": 40}
    assert reasons(Facts(age=16, lives_alone=True)) == {}


@pytest.mark.parametrize(
    ("age", "grade", "out"),
    [
        (10, "none", True),
        (6, "none", False),
        (15, "none", True),
        (16, "none", False),
        (17, "out", True),
        (18, "out", False),
        (12, "j1", False),
    ],
)
def test_leaving_school(age: int, grade: str, out: bool) -> None:
    assert ("out_of_school" in reasons(Facts(age=age, grade=grade))) is out


def test_reasons_come_highest_first_and_add_up() -> None:
    result = assess(
        Facts(age=12, lives_alone=True, moods=(4, 3, 2), exam_overdue_days=40, open_alerts=1)
    )
    assert [i.reason for i in result.items] == [
        Reason.ALONE_UNDER_16,
        Reason.ALERT_OPEN,
        Reason.FALLING_MOOD,
        Reason.EXAM_OVERDUE,
    ]
    assert result.score == 40 + 30 + 15 + 5


# --- the daily job ---------------------------------------------------------------------------


def looked_after(personas: Personas, child: Child) -> Child:
    """Every planned contact two days ago and an examination ten days ago: nothing overdue."""
    registered_on(child)
    if not child.consents.filter(purpose=ConsentPurpose.VOLUNTEER).exists():
        consent(child, ConsentPurpose.VOLUNTEER)
    for kind in ("volunteer_visit", "home_visit", "safety_check", "parent_contact"):
        contacts(child, personas.director_a, kind, [TODAY - 2 * D])
    ExaminationFactory.create(child=child, examined_on=TODAY - 10 * D, entered_by=personas.doctor)
    return child


@pytest.fixture
def village(personas: Personas) -> dict[str, Child]:
    def child(**kwargs: object) -> Child:
        return looked_after(
            personas, LeftBehindChildFactory.create(village=personas.village_a, **kwargs)
        )

    kids = {
        "fine": child(),
        "alone": child(),
        "dropout": child(grade="none"),
        "moody": child(),
        "stunted": child(),
        "alerted": child(),
        "neglected": registered_on(
            LeftBehindChildFactory.create(village=personas.village_a, birth_date=date(2015, 3, 1))
        ),
    }
    Guardian.objects.filter(child=kids["alone"]).delete()
    for mood, days_ago in ((5, 9), (4, 6), (2, 3)):
        contacts(
            kids["moody"],
            personas.director_a,
            ContactKind.HOME_VISIT,
            [TODAY - days_ago * D],
            mood=mood,
        )
    ExaminationFactory.create(
        child=kids["stunted"],
        examined_on=TODAY - 5 * D,
        entered_by=personas.doctor,
        growth_classes=["severe_stunting"],
    )
    protection.alert_raise(actor=personas.director_a, child=kids["alerted"], kind="danger", now=NOW)
    return kids


def scores() -> dict[int, tuple[int, bool, list[str]]]:
    return {
        r.child_id: (r.score, r.on_list, [x["reason"] for x in r.reasons])
        for r in RiskScore.objects.all()
    }


@pytest.mark.django_db
def test_the_job_scores_every_child_with_reasons(
    personas: Personas, village: dict[str, Child]
) -> None:
    summary = jobs.risk_recompute(TODAY)
    got = scores()
    assert got[village["fine"].pk] == (0, False, [])
    assert got[village["alone"].pk] == (40, True, ["alone_under_16"])
    assert got[village["dropout"].pk] == (20, False, ["out_of_school"])
    assert got[village["moody"].pk] == (15, False, ["falling_mood"])
    assert got[village["stunted"].pk] == (15, False, ["growth_severe"])
    assert got[village["alerted"].pk] == (30, True, ["alert_open"])
    # Never visited since registration on 1 January 2025, parents away, never examined.
    assert got[village["neglected"].pk] == (
        20 + 20 + 5,
        True,
        ["no_parent_contact", "overdue_contact", "exam_overdue"],
    )
    neglected = RiskScore.objects.get(child=village["neglected"])
    assert neglected.reasons[1]["params"] == {"kinds": ["home_visit", "safety_check"]}
    assert summary.endswith("3 on the risk list")


@pytest.mark.django_db
def test_the_job_is_idempotent_and_forgets_children_who_left(
    personas: Personas, village: dict[str, Child]
) -> None:
    jobs.risk_recompute(TODAY)
    first = scores()
    jobs.risk_recompute(TODAY)
    assert scores() == first
    gone = village["alone"]
    gone.exited_on, gone.exit_reason = TODAY, ExitReason.MOVED_TO_PARENTS
    gone.save()
    jobs.risk_recompute(TODAY + D)
    assert gone.pk not in scores()
    assert set(RiskScore.objects.values_list("computed_on", flat=True)) == {TODAY + D}


@pytest.mark.django_db
def test_a_positive_screening_counts_for_ninety_days(personas: Personas) -> None:
    teen = looked_after(
        personas,
        team(
            personas,
            LeftBehindChildFactory.create(village=personas.village_a, birth_date=date(2012, 5, 1)),
        ),
    )
    services.screening_record(
        actor=personas.doctor,
        child=teen,
        instrument="phq9",
        answers=[2, 2, 2, 2, 2, 0, 0, 0, 0],
        now=NOW,
    )
    jobs.risk_recompute(TODAY)
    assert scores()[teen.pk] == (25, False, ["screening_positive"])
    jobs.risk_recompute(TODAY + 91 * D)
    assert "screening_positive" not in scores()[teen.pk][2]


@pytest.mark.django_db
def test_the_county_sets_the_threshold(personas: Personas, village: dict[str, Child]) -> None:
    CareSettings.objects.create(county=personas.county, risk_threshold=15)
    jobs.risk_recompute(TODAY)
    listed = {r.child_id for r in selectors.risk_list(personas.director_a)}
    assert listed == {
        village[k].pk for k in ("alone", "dropout", "moody", "stunted", "alerted", "neglected")
    }


@pytest.mark.django_db
def test_risk_list_is_highest_first_for_the_area_only(
    personas: Personas, village: dict[str, Child]
) -> None:
    jobs.risk_recompute(TODAY)
    rows = list(selectors.risk_list(personas.director_a))
    assert [r.child_id for r in rows] == [
        village["neglected"].pk,
        village["alone"].pk,
        village["alerted"].pk,
    ]
    assert rows[0].reasons[0] == {
        "reason": "no_parent_contact",
        "points": 20,
        "params": {"days": (TODAY - date(2025, 1, 1)).days},
    }
    assert [r.child_id for r in selectors.risk_list(personas.supervisor_a)] == [
        r.child_id for r in rows
    ]
    everyone = selectors.risk_list(personas.admin, on_list_only=False)
    assert village["fine"].pk not in {r.child_id for r in everyone}  # a score of 0 is no risk
    for who in ("director_b", "volunteer", "officer", "doctor", "outsider"):
        assert not selectors.risk_list(getattr(personas, who)).exists(), who


@pytest.mark.django_db
def test_children_on_the_list_get_the_tightened_plan(
    personas: Personas, village: dict[str, Child]
) -> None:
    jobs.risk_recompute(TODAY)
    alone = village["alone"].pk
    items = {
        i.kind: i
        for i in selectors.due_for_user(personas.director_a, TODAY, within_days=30)
        if i.child.pk == alone
    }
    # Home visits every 15 days instead of 30: the visit two days ago is due again in 13.
    assert (items["home_visit"].interval_days, items["home_visit"].days_overdue) == (15, -13)
    assert items["home_visit"].tightened


@pytest.mark.django_db
def test_the_job_costs_the_same_queries_for_many_children(personas: Personas) -> None:
    for _ in range(3):
        looked_after(personas, LeftBehindChildFactory.create(village=personas.village_a))

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            jobs.risk_recompute(TODAY)
        return len(ctx.captured_queries)

    few = count()
    for _ in range(12):
        looked_after(personas, LeftBehindChildFactory.create(village=personas.village_a))
    assert count() == few
    assert RiskScore.objects.count() == 15 + 3  # the personas' own children too


# --- rescoring a child when something happens to them ----------------------------------------


def teen_looked_after(personas: Personas) -> Child:
    return looked_after(
        personas,
        team(
            personas,
            LeftBehindChildFactory.create(village=personas.village_a, birth_date=date(2012, 5, 1)),
        ),
    )


@pytest.mark.django_db
def test_a_self_harm_answer_puts_the_child_on_the_list_at_once(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    teen = teen_looked_after(personas)
    jobs.risk_recompute(TODAY)
    assert scores()[teen.pk] == (0, False, [])
    with django_capture_on_commit_callbacks(execute=True):
        services.screening_record(
            actor=personas.doctor,
            child=teen,
            instrument="phq9",
            answers=[0, 0, 0, 0, 0, 0, 0, 0, 1],
            now=NOW,
        )
    # Not tomorrow: the moment the screening (and the alert it raises) is committed.
    assert scores()[teen.pk] == (40 + 30, True, ["self_harm", "alert_open"])


@pytest.mark.django_db
def test_open_alerts_raise_the_score_at_once_and_resolving_lowers_it(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    teen = teen_looked_after(personas)
    jobs.risk_recompute(TODAY)
    alerts = []
    with django_capture_on_commit_callbacks(execute=True):
        for kind in ("danger", "injury", "missing"):
            alerts.append(
                protection.alert_raise(actor=personas.director_a, child=teen, kind=kind, now=NOW)
            )
    assert scores()[teen.pk] == (30, True, ["alert_open"])
    assert RiskScore.objects.get(child=teen).reasons[0]["params"] == {"alerts": 3}
    with django_capture_on_commit_callbacks(execute=True):
        for alert in alerts:
            protection.alert_resolve(
                actor=personas.officer, alert=alert, resolution="safe", now=NOW + D
            )
    assert scores()[teen.pk] == (15, False, ["alert_recent"])


@pytest.mark.django_db
def test_an_examination_a_contact_and_a_status_change_rescore_the_child(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    teen = teen_looked_after(personas)
    jobs.risk_recompute(TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        services.examination_record(
            actor=personas.doctor,
            child=teen,
            examined_on=TODAY,
            height_cm=135,
            weight_kg=25,
            today=TODAY,
        )
    assert "growth_severe" in scores()[teen.pk][2]
    with django_capture_on_commit_callbacks(execute=True):  # moods falling over three visits
        for mood in (5, 3, 1):
            services.contact_log(
                actor=personas.director_a,
                child=teen,
                kind=ContactKind.HOME_VISIT,
                duration_minutes=20,
                mood=mood,
                now=NOW,
            )
    assert "falling_mood" in scores()[teen.pk][2]
    with django_capture_on_commit_callbacks(execute=True):
        child_exit(actor=personas.director_a, child=teen, reason=ExitReason.MOVED_TO_PARENTS)
    assert teen.pk not in scores()


@pytest.mark.django_db
def test_the_exit_drops_the_score_in_its_own_transaction(
    personas: Personas, village: dict[str, Child]
) -> None:
    jobs.risk_recompute(TODAY)
    gone, stays = village["alerted"], village["neglected"]
    assert {gone.pk, stays.pk} <= {r.child_id for r in selectors.risk_list(personas.admin)}
    # The rescore after the commit is not run here (the test's transaction never commits).
    child_exit(actor=personas.director_a, child=gone, reason=ExitReason.MOVED_TO_PARENTS)
    assert not RiskScore.objects.filter(child=gone).exists()
    listed = {r.child_id for r in selectors.risk_list(personas.admin, on_list_only=False)}
    assert gone.pk not in listed and stays.pk in listed


@pytest.mark.django_db
def test_an_exit_that_fails_keeps_the_score(
    personas: Personas, village: dict[str, Child], monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs.risk_recompute(TODAY)
    child = village["alerted"]

    def audit_fails(**kwargs: Any) -> None:
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr("care365.registry.services.children.audit", audit_fails)
    with pytest.raises(RuntimeError):
        child_exit(actor=personas.director_a, child=child, reason=ExitReason.MOVED_TO_PARENTS)
    child.refresh_from_db()
    assert child.exited_on is None
    assert RiskScore.objects.filter(child=child, on_list=True).exists()


@pytest.mark.django_db
def test_a_rescore_of_a_child_who_left_after_being_read_writes_no_score(
    personas: Personas, village: dict[str, Child]
) -> None:
    from care365.care.services.risk import risk_children, risk_scores_write

    ids = [village["alerted"].pk, village["neglected"].pk]
    read = list(risk_children().filter(pk__in=ids))  # read for scoring, then the exit
    child_exit(actor=personas.director_a, child=read[0], reason=ExitReason.MOVED_TO_PARENTS)
    risk_scores_write(read, TODAY)
    assert set(RiskScore.objects.filter(child_id__in=ids).values_list("child_id", flat=True)) == {
        read[1].pk
    }


@pytest.mark.django_db
def test_the_migration_drops_the_scores_of_children_who_left_before_it(
    personas: Personas, village: dict[str, Child]
) -> None:
    from importlib import import_module

    from django.apps import apps

    migration = import_module("care365.care.migrations.0009_risk_scores_only_in_registry")
    jobs.risk_recompute(TODAY)
    gone = village["alerted"]
    # As an exit before this release left it: the child out, the score kept until the next run.
    left = {"exited_on": TODAY, "exit_reason": ExitReason.MOVED_TO_PARENTS}
    Child.objects.filter(pk=gone.pk).update(**left)
    before = set(RiskScore.objects.values_list("child_id", flat=True))
    migration.drop_scores_of_children_who_left(apps, None)
    assert set(RiskScore.objects.values_list("child_id", flat=True)) == before - {gone.pk}


@pytest.mark.django_db
def test_a_rolled_back_write_rescores_nobody(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    teen = teen_looked_after(personas)
    jobs.risk_recompute(TODAY)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        protection.alert_raise(actor=personas.director_a, child=teen, kind="danger", now=NOW)
        raise RuntimeError
    assert callbacks == []
    assert scores()[teen.pk] == (0, False, [])


# --- the risk list by the score's copy of the village ------------------------------------------


def risk_list_by_children(user: Any, *, on_list_only: bool = True) -> list[int]:
    """The risk list as it was read before the scores carried the child's village: the scores
    of the scope's active children (`children_for_user`), highest first."""
    from care365.accounts.access import children_for_user

    qs = RiskScore.objects.filter(
        child__in=children_for_user(user).filter(exited_on__isnull=True).values("pk")
    )
    qs = qs.filter(on_list=True) if on_list_only else qs.filter(score__gt=0)
    return list(qs.order_by("-score", "child_id").values_list("child_id", flat=True))


@pytest.mark.django_db
def test_the_risk_list_is_the_same_for_county_township_and_village_scopes(
    personas: Personas, village: dict[str, Child]
) -> None:
    from care365.accounts.models import AccessGrant

    # Children on the list in the other township's village and in the other county too.
    for where in (personas.village_b, personas.other_village):
        for _ in range(2):
            registered_on(LeftBehindChildFactory.create(village=where, birth_date=date(2015, 3, 1)))
    jobs.risk_recompute(TODAY)
    # A child who left since the job ran (and was not rescored after): never listed.
    gone = village["alerted"]
    child_exit(actor=personas.director_a, child=gone, reason=ExitReason.MOVED_TO_PARENTS)
    # The second village's director opened a child of the first village by break-the-glass.
    AccessGrant.objects.create(
        user=personas.director_b,
        child=village["alone"],
        reason="emergency",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    users = ("admin", "supervisor_a", "director_a", "director_b", "other_admin", "volunteer")
    seen = {}
    for who in users:
        user = getattr(personas, who)
        for on_list_only in (True, False):
            got = [r.child_id for r in selectors.risk_list(user, on_list_only=on_list_only)]
            assert got == risk_list_by_children(user, on_list_only=on_list_only), who
            seen[who, on_list_only] = got
    assert len(seen["admin", True]) == 2 + 2  # both villages, without the child who left
    assert gone.pk not in seen["admin", True]
    assert seen["supervisor_a", True] == seen["director_a", True]
    assert village["alone"].pk in seen["director_b", True]
    assert len(seen["other_admin", True]) == 2
    assert seen["volunteer", True] == []


@pytest.mark.django_db
def test_a_child_who_moves_village_is_listed_in_the_new_one(
    personas: Personas, village: dict[str, Child]
) -> None:
    from care365.registry import services as registry

    jobs.risk_recompute(TODAY)
    alone = village["alone"]

    def listed(who: str) -> bool:
        return alone.pk in {r.child_id for r in selectors.risk_list(getattr(personas, who))}

    assert listed("director_a") and not listed("director_b")
    # Moved by the registry (as a transfer request's acceptance moves a child): the score moves
    # with the child in the same transaction, before any rescore.
    registry.child_update(actor=personas.admin, child=alone, values={"village": personas.village_b})
    assert RiskScore.objects.get(child=alone).village_id == personas.village_b.pk
    assert listed("director_b") and listed("supervisor_a") is False and listed("admin")
    assert not listed("director_a")
    # The copy alone decides (the list does not join the children). A rescore that read the
    # child before the move writes the old village, and puts it right in its transaction.
    from care365.care.services.risk import risk_children, risk_scores_write

    before = list(risk_children().filter(pk=alone.pk))
    registry.child_update(actor=personas.admin, child=alone, values={"village": personas.village_a})
    assert listed("director_a")
    risk_scores_write(before, TODAY)
    assert RiskScore.objects.get(child=alone).village_id == personas.village_a.pk
    assert listed("director_a") and not listed("director_b")
    # A copy out of date another way (no service writes one) is put right by the daily job.
    RiskScore.objects.filter(child=alone).update(village=personas.village_b)
    jobs.risk_recompute(TODAY)
    assert RiskScore.objects.get(child=alone).village_id == personas.village_a.pk
    assert listed("director_a") and not listed("director_b")


@pytest.mark.django_db
def test_a_rolled_back_move_leaves_the_score_where_it_was(
    personas: Personas, village: dict[str, Child]
) -> None:
    from care365.registry import services as registry

    jobs.risk_recompute(TODAY)
    alone = village["alone"]
    with pytest.raises(RuntimeError), transaction.atomic():
        registry.child_update(
            actor=personas.admin, child=alone, values={"village": personas.village_b}
        )
        raise RuntimeError
    assert RiskScore.objects.get(child=alone).village_id == personas.village_a.pk


def test_an_open_attendance_concern_is_a_reason_with_its_count() -> None:
    result = assess(Facts(age=10, grade="p4", school_absences=4))
    assert [(i.reason.value, i.points, dict(i.params)) for i in result.items] == [
        ("school_absences", 15, {"absences": 4})
    ]
    assert assess(Facts(age=10, grade="p4")).items == ()
