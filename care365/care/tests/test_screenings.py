"""Wellbeing screenings: who may enter them, what is kept, the referral and self-harm work they
open, and that volunteers and officers never get health or screening data from any selector."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from care365.care import access, jobs, screening, selectors, services
from care365.care.models import CareTask, ContactKind, Screening
from care365.care.tests.factories import NOW, TODAY, consent, contacts, registered_on, team
from care365.core.models import AuditEvent, Notice
from care365.protection.models import Alert, FollowUpTask, Kind, Notification
from care365.registry.models import Child, ConsentPurpose
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

POSITIVE = [2, 2, 2, 1, 1, 1, 1, 0, 0]  # PHQ-9 total 10: moderate, at the cut-off
SELF_HARM = [0, 0, 0, 0, 0, 0, 0, 0, 1]  # total 1, but item 9 answered "several days"


@pytest.fixture
def teen(personas: Personas) -> Child:
    """A 14-year-old in village A with a full team and consent to screening."""
    child = LeftBehindChildFactory.create(
        village=personas.village_a, birth_date=date(2012, 5, 1), sex="M"
    )
    return team(personas, child)


def enter(personas: Personas, child: Child, who: str = "doctor", **kwargs: Any) -> Screening:
    values: dict[str, Any] = {"instrument": "phq9", "answers": POSITIVE, "now": NOW}
    values.update(kwargs)
    return services.screening_record(actor=getattr(personas, who), child=child, **values)


@pytest.mark.django_db
def test_a_positive_screening_is_kept_and_refers_to_the_doctor(
    personas: Personas, teen: Child
) -> None:
    row = enter(personas, teen)
    row.refresh_from_db()
    assert (row.instrument, row.instrument_version) == ("phq9", screening.builtin("phq9").version)
    assert (row.total, row.band, row.above_cutoff, row.flags) == (10, "moderate", True, [])
    assert row.answers == POSITIVE and row.screened_on == TODAY and row.alert is None
    (task,) = CareTask.objects.filter(child=teen)
    assert (task.kind, task.assignee, task.due_on) == (
        CareTask.Kind.REFERRAL,
        personas.doctor,
        TODAY + timedelta(days=14),
    )
    assert not Alert.objects.exists()
    assert not Notice.objects.filter(kind="care_task").exists()  # the doctor entered it
    audit = AuditEvent.objects.get(action="screening_record", object_id=row.pk)
    assert audit.actor == personas.doctor


@pytest.mark.django_db
def test_a_negative_screening_opens_nothing(personas: Personas, teen: Child) -> None:
    row = enter(personas, teen, instrument="gad7", answers=[1, 1, 0, 0, 1, 0, 0])
    assert (row.total, row.band, row.above_cutoff) == (3, "minimal", False)
    assert not CareTask.objects.exists() and not Alert.objects.exists()


@pytest.mark.django_db
def test_reversed_items_are_turned_round(personas: Personas) -> None:
    child = team(personas)  # child A is 11: CES-DC (6-17), not the PHQ-A (12+)
    row = enter(personas, child, instrument="ces-dc", answers=[0] * 20)
    # Items 4, 8, 12 and 16 are worded positively: "not at all" scores 3 on each.
    assert (row.total, row.above_cutoff) == (12, False)
    with pytest.raises(ValidationError) as exc:
        enter(personas, child)
    assert set(exc.value.message_dict) == {"instrument"}


@pytest.mark.django_db
def test_a_self_harm_answer_raises_a_protection_alert_at_once(
    personas: Personas, teen: Child
) -> None:
    row = enter(personas, teen, answers=SELF_HARM)
    assert (row.total, row.above_cutoff, row.flags) == (1, False, ["self_harm"])
    alert = Alert.objects.get(child=teen)
    assert row.alert == alert
    assert (alert.kind, alert.raised_by, alert.assigned_officer) == (
        Kind.SELF_HARM,
        personas.doctor,
        personas.officer.carer,
    )
    assert alert.is_mandatory_report and alert.state == "open"
    assert "1" not in alert.note and "phq" not in alert.note.lower()  # no answers for officers
    assert Notification.objects.filter(alert=alert, recipient=personas.officer).exists()
    assert FollowUpTask.objects.filter(alert=alert, assignee=personas.director_a).exists()
    (task,) = CareTask.objects.filter(child=teen)
    assert (task.kind, task.assignee, task.due_on) == (
        CareTask.Kind.SELF_HARM,
        personas.doctor,
        TODAY,
    )


@pytest.mark.django_db
def test_a_trained_director_may_screen_and_the_doctor_is_told(
    personas: Personas, teen: Child
) -> None:
    with pytest.raises(ValidationError) as exc:
        enter(personas, teen, "director_a")
    assert set(exc.value.message_dict) == {"child"}
    services.screener_set(actor=personas.admin, director=personas.director_a, trained=True)
    services.screener_set(actor=personas.admin, director=personas.director_b, trained=True)
    row = enter(personas, teen, "director_a", answers=[3, 3, 2, 2, 2, 1, 1, 1, 1])
    assert row.entered_by == personas.director_a
    kinds = sorted(CareTask.objects.filter(child=teen).values_list("kind", flat=True))
    assert kinds == ["referral", "self_harm"]
    notices = Notice.objects.filter(recipient=personas.doctor, kind="care_task")
    assert notices.count() == 2
    assert all(set(n.params) == {"task", "kind", "child"} for n in notices)
    # Trained, but not this child's village.
    with pytest.raises(ValidationError):
        enter(personas, teen, "director_b")
    with pytest.raises(ValidationError) as exc:
        services.screener_set(actor=personas.admin, director=personas.volunteer, trained=True)
    assert set(exc.value.message_dict) == {"director"}


@pytest.mark.django_db
def test_only_the_childs_doctor_or_a_trained_director_screens(
    personas: Personas, teen: Child
) -> None:
    for who in ("volunteer", "officer", "supervisor_a", "admin", "outsider"):
        with pytest.raises((ValidationError, PermissionDenied)):
            enter(personas, teen, who)
    other = registered_on(LeftBehindChildFactory.create(village=personas.village_a))
    consent(other, ConsentPurpose.HEALTH_SCREENING)
    with pytest.raises(ValidationError) as exc2:
        enter(personas, other, instrument="ces-dc", answers=[0] * 20)
    assert set(exc2.value.message_dict) == {"child"}
    assert not Screening.objects.exists()


@pytest.mark.django_db
def test_screening_needs_the_guardians_consent(personas: Personas, teen: Child) -> None:
    teen.consents.filter(purpose=ConsentPurpose.HEALTH_SCREENING).update(withdrawn_on=TODAY)
    with pytest.raises(ValidationError) as exc:
        enter(personas, teen)
    assert set(exc.value.message_dict) == {"child"}


@pytest.mark.django_db
def test_answers_must_fit_the_form(personas: Personas, teen: Child) -> None:
    for answers in ([0] * 8, [0, 0, 0, 0, 0, 0, 0, 0, 4]):
        with pytest.raises(ValidationError) as exc:
            enter(personas, teen, answers=answers)
        assert set(exc.value.message_dict) == {"answers"}
    with pytest.raises(ValidationError) as exc:
        enter(personas, teen, instrument="sdq")
    assert set(exc.value.message_dict) == {"instrument"}
    with pytest.raises(ValidationError) as exc:
        enter(personas, teen, screened_on=TODAY + timedelta(days=1))
    assert set(exc.value.message_dict) == {"screened_on"}
    assert not Screening.objects.exists()


@pytest.mark.django_db
def test_a_task_is_done_once(personas: Personas, teen: Child) -> None:
    enter(personas, teen)
    (task,) = access.care_tasks_for_user(personas.doctor)
    with pytest.raises(ValidationError):
        services.care_task_done(actor=personas.volunteer, task=task)
    services.care_task_done(actor=personas.doctor, task=task, note="转介县医院心理门诊", now=NOW)
    with pytest.raises(services.CareStateError):
        services.care_task_done(actor=personas.doctor, task=task, now=NOW)
    assert not access.care_tasks_for_user(personas.doctor).exists()
    assert access.care_tasks_for_user(personas.doctor, open_only=False).get().done_by == (
        personas.doctor
    )


@pytest.mark.django_db
def test_a_child_without_a_doctor_gets_a_task_the_director_sees(personas: Personas) -> None:
    child = LeftBehindChildFactory.create(village=personas.village_a, birth_date=date(2012, 1, 1))
    registered_on(child)
    consent(child, ConsentPurpose.HEALTH_SCREENING)
    services.screener_set(actor=personas.admin, director=personas.director_a, trained=True)
    enter(personas, child, "director_a")
    (task,) = access.care_tasks_for_user(personas.director_a)
    assert task.assignee is None
    assert access.care_tasks_for_user(personas.supervisor_a).get() == task
    assert not access.care_tasks_for_user(personas.director_b).exists()
    services.care_task_done(actor=personas.director_a, task=task, now=NOW)


# --- nobody without the right sees health or screening data --------------------------------

# Every selector, by what it may show. A new selector must be put in one of these sets.
HEALTH_SELECTORS = {
    "examinations_for_child",
    "growth_points",
    "health_sessions_for_user",
    "screenings_for_child",
    "care_tasks_for_user",
    "risk_list",
    "risk_for_child",
    "examinations_due",
    "examinations_due_list",
    "health_sessions_list",
    "session_rows",
    "health_session_figures",
}
OTHER_SELECTORS = {
    "due_for_display",
    "due_for_user",
    "due_list_for_user",
    "plan_status",
    "coverage_for_area",
    "coverage_for_child",
    # Counts for insights' roll-ups: a figure per child that never leaves the aggregate (no user).
    "coverage_of_children",
    "contacts_for_child",
    "contacts_logged_by",
    "contacts_needing_follow_up",
    "care_events_for_user",
    "care_settings_get",
    "wish_board",
    "wishes_claimed_by",
    "wishes_for_user",
    "wishes_for_child",
    # The child's team reads these (`access.sees_learning`): study help and interests, no health.
    "child_learning",
    "learning_goals_for_child",
    "interest_activities_for_child",
    "session_schools",  # the county's schools: no child
    "gifts_of_event",
    "gifts_to_deliver",
    # A donor's figures: counts and yuan by event, county and township, no child (no user).
    "donor_totals",
    "donors_with_gifts",
}


def test_every_selector_is_classified() -> None:
    functions = {name for name in selectors.__all__ if inspect.isfunction(getattr(selectors, name))}
    # The care tasks' list is a door (access.py) rather than a selector; it is checked here too.
    functions |= {"care_tasks_for_user"}
    assert functions == HEALTH_SELECTORS | OTHER_SELECTORS


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if hasattr(value, "exists"):
        return not value.exists()
    return not value


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["volunteer", "officer"])
def test_volunteer_and_officer_never_get_health_or_screening_data(
    personas: Personas, teen: Child, who: str
) -> None:
    user = getattr(personas, who)
    services.examination_record(
        actor=personas.doctor, child=teen, examined_on=TODAY, height_cm=150.0, today=TODAY
    )
    enter(personas, teen)
    services.health_session_record(
        actor=personas.doctor,
        topic="mental_health",
        held_on=TODAY,
        area=personas.village_a,
        children=[teen],
        today=TODAY,
    )
    contacts(teen, personas.doctor, ContactKind.CONSULTATION, [TODAY])
    jobs.risk_recompute(TODAY)
    doctor = personas.doctor
    calls: dict[str, Callable[[], Any]] = {
        "examinations_for_child": lambda: selectors.examinations_for_child(user, teen),
        "growth_points": lambda: selectors.growth_points(user, teen),
        "health_sessions_for_user": lambda: selectors.health_sessions_for_user(user),
        "screenings_for_child": lambda: selectors.screenings_for_child(user, teen),
        "care_tasks_for_user": lambda: access.care_tasks_for_user(user, open_only=False),
        "risk_list": lambda: selectors.risk_list(user, on_list_only=False),
        "risk_for_child": lambda: selectors.risk_for_child(user, teen),
        "examinations_due": lambda: selectors.examinations_due(user, TODAY, within_days=999),
        "examinations_due_list": lambda: selectors.examinations_due_list(
            user, TODAY, within_days=999
        ),
        "health_sessions_list": lambda: selectors.health_sessions_list(user),
        # Even given the doctor's sessions, no child of them is named to the volunteer or officer.
        "session_rows": lambda: [
            c
            for row in selectors.session_rows(user, selectors.health_sessions_list(doctor))
            for c in row.children
        ],
        "health_session_figures": lambda: selectors.health_session_figures(
            user, since=TODAY, until=TODAY
        )[0],
    }
    assert set(calls) == HEALTH_SELECTORS
    for name, call in calls.items():
        assert _empty(call()), name
    # ... and the doctor does get each of them (so the checks above are not vacuous).
    assert selectors.session_rows(doctor, selectors.health_sessions_list(doctor))[0].children
    assert selectors.screenings_for_child(doctor, teen).exists()
    assert selectors.growth_points(doctor, teen)
    assert access.care_tasks_for_user(doctor).exists()
    assert selectors.risk_list(personas.director_a, on_list_only=False).exists()
    # Lists a volunteer or officer does get carry no health: no consultation in the contact log,
    # no examination in the due list or the digest, no tasks.
    assert ContactKind.CONSULTATION not in {
        c.kind for c in selectors.contacts_for_child(user, teen)
    }
    assert ContactKind.CONSULTATION not in {
        c.kind for c in selectors.contacts_needing_follow_up(user)
    }
    due = selectors.due_for_user(user, TODAY, within_days=999)
    assert due and "examination" not in {i.kind for i in due}
    digest = jobs.digest_build(user, TODAY)
    assert digest.tasks == []
    assert "examination" not in {i.kind for i in digest.overdue + digest.due_today}
    coverage = selectors.coverage_for_child(user, teen, TODAY)
    assert ContactKind.CONSULTATION not in coverage.kinds
    assert selectors.coverage_for_area(user, personas.village_a, TODAY) is None


@pytest.mark.django_db
def test_a_self_harm_answer_for_a_child_without_an_officer_reaches_the_station_at_once(
    personas: Personas, teen: Child
) -> None:
    """No police pairing and nobody on a duty shift: the station that covers the village hears
    of the self-harm alert in the app at once, not the supervisor two minutes later."""
    from care365.pairing.models import Pairing

    Pairing.objects.filter(child=teen, role="police").delete()
    row = enter(personas, teen, answers=SELF_HARM)
    alert = Alert.objects.get(child=teen)
    assert row.alert == alert and alert.assigned_officer is None and alert.level == 1
    assert Notification.objects.filter(
        alert=alert, recipient=personas.officer, channel="in_app", state="sent"
    ).exists()
