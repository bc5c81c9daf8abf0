"""The volunteers' study help and interests: learning goals with progress notes and interest
activities, written by the child's volunteer (or the keepers of the child's area), read by the
child's team, refused or not found for everyone else."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from care365.accounts.models import AccessLog
from care365.accounts.tests.api_client import Api
from care365.care import selectors, services
from care365.care.models import InterestActivity, LearningGoal, LearningNote
from care365.care.services import CareStateError
from care365.care.tests.factories import pair, team
from care365.core.models import AuditEvent
from care365.registry.models import Child, Consent, ConsentPurpose
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

pytestmark = pytest.mark.django_db
D = timedelta(days=1)


def today() -> date:
    return timezone.localdate()


@pytest.fixture
def child(personas: Personas) -> Child:
    """Child A with the officer, the doctor and the volunteer, the guardian consenting."""
    return team(personas)


def goal_for(personas: Personas, child: Child) -> LearningGoal:
    return services.learning_goal_set(
        actor=personas.volunteer,
        child=child,
        subject="maths",
        goal="乘法口诀背熟",
        started_on=today() - 30 * D,
    )


def test_a_volunteer_writes_goals_notes_and_activities_for_their_own_child(
    personas: Personas, child: Child
) -> None:
    goal = goal_for(personas, child)
    assert goal.carer == personas.volunteer.carer and goal.state == "active"
    note = services.learning_note_add(
        actor=personas.volunteer, goal=goal, note="能背到七的乘法了", noted_on=today() - 10 * D
    )
    done = services.learning_note_add(
        actor=personas.volunteer, goal=goal, note="全部背熟", state="achieved"
    )
    goal.refresh_from_db()
    assert (goal.state, goal.ended_on) == ("achieved", today())
    music = services.interest_activity_record(
        actor=personas.volunteer,
        child=child,
        interest="music",
        what="第一次学吹竖笛",
        note="她爱上了音乐",
    )
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"learning_goal_set", "learning_note_add", "interest_activity_record"} <= actions
    learning = selectors.child_learning(personas.volunteer, child)
    assert learning is not None and learning.may_write
    assert [(e.kind, e.day) for e in learning.timeline[:3]] == [
        ("achieved", today()),
        ("note", today()),
        ("interest", today()),
    ]
    assert learning.interests == [("music", 1)]
    assert {e.note for e in learning.timeline if e.note} == {note, done}
    assert music in learning.activities


def test_a_volunteer_writes_nothing_for_a_child_not_paired_with_them_or_without_consent(
    personas: Personas, child: Child
) -> None:
    with pytest.raises(PermissionDenied):
        services.learning_goal_set(
            actor=personas.volunteer, child=personas.child_b, subject="maths", goal="x"
        )
    other = LeftBehindChildFactory.create(village=personas.village_a)
    pair(other, personas.volunteer)  # paired, but the guardian has not consented
    with pytest.raises(PermissionDenied):
        services.interest_activity_record(
            actor=personas.volunteer, child=other, interest="dance", what="跳舞"
        )
    goal = goal_for(personas, child)
    Consent.objects.filter(child=child, purpose=ConsentPurpose.VOLUNTEER).update(
        withdrawn_on=today()
    )
    with pytest.raises(PermissionDenied):
        services.learning_note_add(actor=personas.volunteer, goal=goal, note="还在练习")
    assert selectors.child_learning(personas.volunteer, child) is None


def test_the_officer_and_doctor_read_but_do_not_write(personas: Personas, child: Child) -> None:
    goal = goal_for(personas, child)
    for who in ("officer", "doctor"):
        user = getattr(personas, who)
        learning = selectors.child_learning(user, child)
        assert learning is not None and learning.goals == [goal] and not learning.may_write
        with pytest.raises(PermissionDenied):
            services.learning_note_add(actor=user, goal=goal, note="看过了")
        with pytest.raises(PermissionDenied):
            services.interest_activity_record(
                actor=user, child=child, interest="sport", what="跑步"
            )


def test_the_keepers_of_the_area_write_and_others_see_nothing(
    personas: Personas, child: Child
) -> None:
    goal = services.learning_goal_set(
        actor=personas.director_a, child=child, subject="reading", goal="每周读一本绘本"
    )
    assert goal.carer is None
    for who in ("supervisor_a", "admin"):
        learning = selectors.child_learning(getattr(personas, who), child)
        assert learning is not None and learning.may_write
    for who in ("director_b", "other_admin", "outsider", "province_official"):
        assert selectors.child_learning(getattr(personas, who), child) is None
        assert not selectors.learning_goals_for_child(getattr(personas, who), child).exists()
    with pytest.raises(PermissionDenied):
        services.learning_goal_set(
            actor=personas.director_b, child=child, subject="maths", goal="x"
        )


def test_a_note_checks_its_fields_and_a_goal_closed_first_is_a_conflict(
    personas: Personas, child: Child
) -> None:
    goal = goal_for(personas, child)
    with pytest.raises(ValidationError) as exc:
        services.learning_note_add(
            actor=personas.volunteer, goal=goal, note=" ", noted_on=today() + D, state="maybe"
        )
    assert set(exc.value.message_dict) == {"note", "noted_on", "state"}
    with pytest.raises(ValidationError) as exc:
        services.learning_goal_set(
            actor=personas.volunteer, child=child, subject="astrology", goal=""
        )
    assert set(exc.value.message_dict) == {"subject", "goal"}
    stale = LearningGoal.objects.get(pk=goal.pk)
    services.learning_note_add(actor=personas.director_a, goal=goal, note="放弃", state="dropped")
    with pytest.raises(CareStateError):
        services.learning_note_add(
            actor=personas.volunteer, goal=stale, note="完成了", state="achieved"
        )
    assert LearningNote.objects.filter(goal=goal).count() == 1


def test_the_learning_page_for_the_team_and_404_for_another_village(
    client: Client, personas: Personas, child: Child
) -> None:
    url = reverse("care:care-learning", args=[child.pk])
    client.force_login(personas.volunteer)
    response = client.post(
        reverse("care:care-learning-goal", args=[child.pk]),
        {"subject": "chinese", "goal": "每天写一篇日记", "started_on": today().isoformat()},
    )
    assert response.status_code == 302
    goal = LearningGoal.objects.get()
    response = client.post(
        reverse("care:care-learning-note", args=[child.pk]),
        {"goal": goal.pk, "note": "写了三篇", "noted_on": today().isoformat(), "state": ""},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("care:care-learning-interest", args=[child.pk]),
        {"interest": "music", "what": "学唱畲族山歌", "done_on": today().isoformat()},
    )
    assert response.status_code == 302
    bad = client.post(
        reverse("care:care-learning-interest", args=[child.pk]),
        {"interest": "music", "what": "", "done_on": today().isoformat()},
    )
    assert bad.status_code == 400 and InterestActivity.objects.count() == 1
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and "写了三篇" in text and "学唱畲族山歌" in text
    assert AccessLog.objects.filter(
        user=personas.volunteer, child_id=child.pk, route="care:care-learning"
    ).exists()
    detail = client.get(reverse("registry:child-detail", args=[child.pk]))
    assert "学唱畲族山歌" in detail.content.decode()
    for who in ("officer", "doctor"):
        client.force_login(getattr(personas, who))
        assert client.get(url).status_code == 200
        refused = client.post(
            reverse("care:care-learning-interest", args=[child.pk]),
            {"interest": "music", "what": "唱歌", "done_on": today().isoformat()},
        )
        assert refused.status_code == 403
    client.force_login(personas.director_b)
    assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("care:care-learning-goal", args=[child.pk]),
            {"subject": "maths", "goal": "x", "started_on": today().isoformat()},
        ).status_code
        == 404
    )
    client.force_login(personas.volunteer)
    assert client.get(reverse("care:care-learning", args=[personas.child_b.pk])).status_code == 404


def test_the_api_for_the_team(api: Api, personas: Personas, child: Child) -> None:
    made = api.post(
        f"/children/{child.pk}/learning-goals",
        user=personas.volunteer,
        body={"subject": "english", "goal": "认识26个字母"},
    )
    assert made.status_code == 201, made.content
    goal_id = made.json()["id"]
    note = api.post(
        f"/children/{child.pk}/learning-notes",
        user=personas.volunteer,
        body={"goal": goal_id, "note": "认识了一半", "state": "active"},
    )
    assert note.status_code == 201, note.content
    activity = api.post(
        f"/children/{child.pk}/interest-activities",
        user=personas.volunteer,
        body={"interest": "music", "what": "学弹尤克里里"},
    )
    assert activity.status_code == 201
    got = api.get(f"/children/{child.pk}/learning", user=personas.doctor).json()
    assert [g["id"] for g in got["goals"]] == [goal_id] and not got["may_write"]
    assert got["goals"][0]["notes"][0]["note"] == "认识了一半"
    refused = api.post(
        f"/children/{child.pk}/interest-activities",
        user=personas.officer,
        body={"interest": "sport", "what": "跑步"},
    )
    assert refused.status_code == 403
    assert api.get(f"/children/{child.pk}/learning", user=personas.director_b).status_code == 404
    # Another child's goal, through this child: not found.
    other = LeftBehindChildFactory.create(village=personas.village_a)
    theirs = services.learning_goal_set(
        actor=personas.director_a, child=other, subject="maths", goal="x"
    )
    wrong = api.post(
        f"/children/{child.pk}/learning-notes",
        user=personas.director_a,
        body={"goal": theirs.pk, "note": "y"},
    )
    assert wrong.status_code == 404


def test_may_write_learning_is_what_the_services_take(personas: Personas) -> None:
    """For every persona and every child (paired, of the area or not, left the registry), the
    predicate the pages and the API ask holds exactly when the services take the entry."""
    from care365.care import access
    from care365.care.tests.test_predicates import USERS, accepts, children

    kids = children(personas)
    for who in USERS:
        user = getattr(personas, who)
        for name, kid in kids.items():
            allowed = access.may_write_learning(user, kid)
            goal = accepts(
                services.learning_goal_set, actor=user, child=kid, subject="maths", goal="x"
            )
            activity = accepts(
                services.interest_activity_record, actor=user, child=kid, interest="art", what="画"
            )
            assert allowed == goal == activity, (who, name)
            if allowed:
                assert access.sees_learning(user, kid), (who, name)
