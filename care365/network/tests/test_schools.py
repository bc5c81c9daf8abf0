"""Schools and attendance (控辍保学; docs/network.md): a teacher sees only their school's enrolled
children and only identity and attendance; enrolments kept by the registry's keepers; the
county's threshold of unexplained absences opens exactly one task and a risk reason; a drop-out
is referred to the education bureau and followed until the child is back in school."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from care365.accounts.models import AccessLog, Role
from care365.accounts.tests.api_client import Api
from care365.accounts.tests.factories import UserFactory
from care365.care.models import CareSettings, CareTask
from care365.care.services.risk import risk_refresh
from care365.carers.models import Organisation
from care365.carers.tests.factories import OrganisationFactory
from care365.core.models import AuditEvent
from care365.network.models import Absence, AttendanceConcern, DropOut, Enrolment, Referral
from care365.network.services import schools as services
from care365.registry.models import Child
from conftest import Personas

pytestmark = pytest.mark.django_db

ADDRESS = "东弄村幸福路88号"
# What a teacher must never see of a child: its record's other parts.
HIDDEN_WORDS = ("status", "guardian", "address", "phone", "id_number", "health", "alert", "risk")


def today() -> date:
    return timezone.localdate()


def enrol(api: Api, p: Personas, child: Child | None = None, **changes: Any) -> Any:
    child = child or p.child_a
    body = {"child": child.pk, "school": p.school_a.pk, "grade": "p4", "class_name": "4(2)"}
    body["since"] = (today() - timedelta(days=60)).isoformat()
    body.update(changes)
    return api.post("/enrolments", user=p.director_a, body=body)


def bureau(p: Personas) -> Organisation:
    return OrganisationFactory.create(
        kind=Organisation.Kind.EDUCATION_BUREAU,
        name="景宁县教育局",
        area=p.county,
        services=["school_reentry"],
    )


@pytest.fixture
def enrolled(api: Api, personas: Personas) -> Personas:
    Child.objects.filter(pk=personas.child_a.pk).update(address=ADDRESS)
    response = enrol(api, personas)
    assert response.status_code == 201, response.content
    return personas


def test_enrolment_fills_the_registry_school_and_grade(api: Api, enrolled: Personas) -> None:
    child = Child.objects.get(pk=enrolled.child_a.pk)
    assert (child.school, child.grade) == ("鹤溪小学", "p4")
    assert AuditEvent.objects.filter(action="enrolment_create").count() == 1
    # Moving to another school ends the first enrolment the day before.
    other = OrganisationFactory.create(
        kind=Organisation.Kind.SCHOOL, name="红星小学", area=enrolled.township_b
    )
    moved = enrol(api, enrolled, school=other.pk, since=today().isoformat())
    assert moved.status_code == 201, moved.content
    first = Enrolment.objects.get(school=enrolled.school_a)
    assert (first.until, first.end_reason) == (today() - timedelta(days=1), "moved")
    assert Child.objects.get(pk=enrolled.child_a.pk).school == "红星小学"


def test_enrolment_refuses_a_non_school_and_other_roles(api: Api, enrolled: Personas) -> None:
    bad = enrol(api, enrolled, enrolled.child_a, school=enrolled.agency.pk, since=None)
    assert bad.status_code == 422
    assert "school" in bad.json()["errors"]
    # The teacher keeps no roll: the child's record is not theirs to open at all.
    body = {"child": enrolled.child_a.pk, "school": enrolled.school_a.pk, "grade": "p4"}
    assert api.post("/enrolments", user=enrolled.teacher, body=body).status_code == 404
    assert api.post("/enrolments", user=enrolled.officer, body=body).status_code == 404
    # Director of village B: not their child.
    assert api.post("/enrolments", user=enrolled.director_b, body=body).status_code == 404


def test_teacher_sees_only_their_school_and_only_identity_and_attendance(
    api: Api, client: Client, enrolled: Personas
) -> None:
    p = enrolled
    # A child of the county not enrolled at the school is not on the roll.
    roll = api.get(f"/schools/{p.school_a.pk}/roll", user=p.teacher)
    assert roll.status_code == 200, roll.content
    items = roll.json()["items"]
    assert [i["child"] for i in items] == [p.child_a.pk]
    assert set(items[0]) == {
        "child",
        "name",
        "sex",
        "birth_date",
        "age",
        "grade",
        "class_name",
        "since",
        "absences",
        "unexplained",
        "absent_today",
    }
    attendance = api.get(f"/schools/children/{p.child_a.pk}/attendance", user=p.teacher)
    assert attendance.status_code == 200
    data = attendance.json()
    assert set(data) == {"child", "name", "sex", "birth_date", "age", "enrolment", "absences"}
    text = attendance.content.decode() + roll.content.decode()
    for word in HIDDEN_WORDS:
        assert word not in text
    assert ADDRESS not in text and "13900000000" not in text
    # The read is logged.
    assert AccessLog.objects.filter(user=p.teacher, child_id=p.child_a.pk).exists()

    client.force_login(p.teacher)
    page = client.get(reverse("network:school-child", args=[p.child_a.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "张小花" in html
    age = Child.objects.get(pk=p.child_a.pk).age_on(today())
    assert f"{age}岁" in html or f"{age} years" in html
    assert ADDRESS not in html and "13900000000" not in html and "13800000000" not in html
    main = html.split("<footer")[0]
    assert "留守" not in main and "left-behind" not in main.lower()
    assert f'href="{reverse("registry:child-detail", args=[p.child_a.pk])}"' not in html
    roll_page = client.get(reverse("network:school-roll", args=[p.school_a.pk]))
    assert roll_page.status_code == 200 and "张小花" in roll_page.content.decode()
    assert ADDRESS not in roll_page.content.decode()
    # The child's record itself stays closed to a teacher.
    assert client.get(reverse("registry:child-detail", args=[p.child_a.pk])).status_code == 404
    # A child of the county not on the roll: 404, like a missing one.
    assert client.get(reverse("network:school-child", args=[p.child_b.pk])).status_code == 404
    assert api.get(f"/children/{p.child_a.pk}", user=p.teacher).status_code == 404


def test_teacher_of_another_school_and_other_roles_are_refused(
    api: Api, client: Client, enrolled: Personas
) -> None:
    p = enrolled
    school_b = OrganisationFactory.create(
        kind=Organisation.Kind.SCHOOL, name="红星小学", area=p.township_b
    )
    teacher_b = UserFactory.create(role=Role.TEACHER, organisation=school_b)
    assert (
        api.get(f"/schools/children/{p.child_a.pk}/attendance", user=teacher_b).status_code == 404
    )
    assert api.get(f"/schools/{p.school_a.pk}/roll", user=teacher_b).status_code == 404
    body = {"days": [today().isoformat()], "reason": "unexplained"}
    path = f"/schools/children/{p.child_a.pk}/absences"
    assert api.post(path, user=teacher_b, body=body).status_code == 404
    assert (
        api.post(
            "/drop-outs",
            user=teacher_b,
            body={"child": p.child_a.pk, "left_on": today().isoformat()},
        ).status_code
        == 404
    )
    client.force_login(teacher_b)
    assert client.get(reverse("network:school-child", args=[p.child_a.pk])).status_code == 404
    assert client.get(reverse("network:school-roll", args=[p.school_a.pk])).status_code == 404
    # Carers, organisation staff, officials: no schools pages.
    for who in ("officer", "volunteer", "org_staff", "prefecture_official", "outsider"):
        user = getattr(p, who)
        assert api.get("/schools", user=user).status_code == 403, who
        assert api.get(f"/schools/children/{p.child_a.pk}/attendance", user=user).status_code == 403
        client.force_login(user)
        assert client.get(reverse("network:school-list")).status_code == 403, who
    # The registry's keepers of the area see the child's attendance; of another area, 404.
    ok = api.get(f"/schools/children/{p.child_a.pk}/attendance", user=p.director_a)
    assert ok.status_code == 200
    assert (
        api.get(f"/schools/children/{p.child_a.pk}/attendance", user=p.director_b).status_code
        == 404
    )
    # And on the roll page a director of village B sees no child of village A.
    client.force_login(p.director_b)
    html = client.get(reverse("network:school-roll", args=[p.school_a.pk])).content.decode()
    assert "张小花" not in html


def test_threshold_crossing_opens_exactly_one_task_and_a_risk_reason(
    api: Api, enrolled: Personas
) -> None:
    p = enrolled
    path = f"/schools/children/{p.child_a.pk}/absences"
    days = [today() - timedelta(days=n) for n in (1, 2)]
    # Two unexplained and one explained: under the default of three.
    r = api.post(
        path, user=p.teacher, body={"days": [d.isoformat() for d in days], "reason": "unexplained"}
    )
    assert r.status_code == 201, r.content
    api.post(
        path,
        user=p.teacher,
        body={"days": [(today() - timedelta(days=3)).isoformat()], "reason": "illness"},
    )
    assert not AttendanceConcern.objects.exists()
    assert not CareTask.objects.filter(kind="absences").exists()
    score = risk_refresh(p.child_a.pk)
    assert score is not None
    assert "school_absences" not in [r["reason"] for r in score.reasons]
    r = api.post(
        path,
        user=p.teacher,
        body={"days": [today().isoformat()], "reason": "unexplained", "note": "电话联系不上"},
    )
    assert r.status_code == 201
    concern = AttendanceConcern.objects.get()
    assert concern.absences == 3 and concern.closed_on is None
    task = CareTask.objects.get(kind="absences")
    assert task.assignee == p.director_a and task.child_id == p.child_a.pk
    assert concern.task == task
    # Again, and the daily check: nothing new.
    api.post(path, user=p.teacher, body={"days": [today().isoformat()], "reason": "unexplained"})
    assert services.attendance_concerns_refresh(today()) == 0
    assert AttendanceConcern.objects.count() == 1
    assert CareTask.objects.filter(kind="absences").count() == 1
    score = risk_refresh(p.child_a.pk)
    assert score is not None
    assert "school_absences" in [r["reason"] for r in score.reasons]
    # The director sees the task among theirs.
    from care365.care.access import care_tasks_for_user

    assert list(care_tasks_for_user(p.director_a)) == [task]
    # A month later the absences have aged out: the concern closes, the reason goes.
    later = today() + timedelta(days=40)
    services.attendance_concerns_refresh(later)
    assert AttendanceConcern.objects.get().closed_on == later
    score = risk_refresh(p.child_a.pk)
    assert score is not None
    assert "school_absences" not in [r["reason"] for r in score.reasons]


def test_threshold_is_the_county_setting(api: Api, enrolled: Personas) -> None:
    p = enrolled
    CareSettings.objects.create(county=p.county, school_absence_days=1)
    r = api.post(
        f"/schools/children/{p.child_a.pk}/absences",
        user=p.director_a,
        body={"days": [today().isoformat()], "reason": "unexplained"},
    )
    assert r.status_code == 201
    assert AttendanceConcern.objects.count() == 1


def test_absences_refuse_the_future_and_days_before_enrolment(api: Api, enrolled: Personas) -> None:
    p = enrolled
    path = f"/schools/children/{p.child_a.pk}/absences"
    future = api.post(
        path,
        user=p.teacher,
        body={"days": [(today() + timedelta(days=1)).isoformat()], "reason": "illness"},
    )
    assert future.status_code == 422
    early = api.post(
        path,
        user=p.teacher,
        body={"days": [(today() - timedelta(days=90)).isoformat()], "reason": "illness"},
    )
    assert early.status_code == 422
    bad = api.post(path, user=p.teacher, body={"days": [today().isoformat()], "reason": "lazy"})
    assert bad.status_code == 422
    assert not Absence.objects.exists()


def test_roll_call_page_records_absent_and_present(client: Client, enrolled: Personas) -> None:
    p = enrolled
    client.force_login(p.teacher)
    url = reverse("network:school-roll-call", args=[p.school_a.pk])
    page = client.get(url)
    assert page.status_code == 200 and "张小花" in page.content.decode()
    day = today().isoformat()
    response = client.post(
        url, {"day": day, f"absent-{p.child_a.pk}": "1", f"reason-{p.child_a.pk}": "family"}
    )
    assert response.status_code == 302
    assert Absence.objects.get().reason == "family"
    # Unticked: present, the absence goes.
    assert client.post(url, {"day": day}).status_code == 302
    assert not Absence.objects.exists()
    # The registry's keepers see the roll but do not call it.
    client.force_login(p.director_a)
    assert client.get(url).status_code == 403


def test_drop_out_is_referred_and_followed_until_back_in_school(
    api: Api, client: Client, enrolled: Personas
) -> None:
    p = enrolled
    office = bureau(p)
    left = today() - timedelta(days=2)
    made = api.post(
        "/drop-outs",
        user=p.teacher,
        body={"child": p.child_a.pk, "left_on": left.isoformat(), "note": "随父母外出打工"},
    )
    assert made.status_code == 201, made.content
    drop = DropOut.objects.get()
    referral = Referral.objects.get()
    assert (referral.organisation, referral.service, referral.state) == (
        office,
        "school_reentry",
        "sent",
    )
    assert drop.referral == referral and drop.state == "open"
    enrolment = Enrolment.objects.get()
    assert (enrolment.until, enrolment.end_reason) == (left, "dropped_out")
    assert Child.objects.get(pk=p.child_a.pk).grade == "out"
    # Off the teacher's roll now.
    assert api.get(f"/schools/{p.school_a.pk}/roll", user=p.teacher).json()["items"] == []
    assert (
        api.get(f"/schools/children/{p.child_a.pk}/attendance", user=p.teacher).status_code == 404
    )
    # The registry's keepers see it on the drop-outs list; a teacher does not.
    listed = api.get("/drop-outs", user=p.director_a).json()
    assert [d["id"] for d in listed["items"]] == [drop.pk]
    assert listed["items"][0]["referral_state"] == "sent"
    assert api.get("/drop-outs", user=p.teacher).status_code == 403
    assert api.get(f"/drop-outs/{drop.pk}", user=p.director_b).status_code == 404
    client.force_login(p.director_a)
    assert client.get(reverse("network:drop-out-list")).status_code == 200
    assert client.get(reverse("network:drop-out-detail", args=[drop.pk])).status_code == 200
    score = risk_refresh(p.child_a.pk)
    assert score is not None
    assert "out_of_school" in [r["reason"] for r in score.reasons]
    # Back in school: enrolled again, the drop-out closes and the referral is done.
    back = enrol(api, p, since=today().isoformat(), grade="p5")
    assert back.status_code == 201, back.content
    drop.refresh_from_db()
    referral.refresh_from_db()
    assert drop.state == "returned" and drop.closed_at is not None
    assert referral.state == "done" and "鹤溪小学" in referral.outcome
    assert Child.objects.get(pk=p.child_a.pk).grade == "p5"
    assert api.get("/drop-outs", user=p.director_a).json()["items"] == []
    closed = api.post(f"/drop-outs/{drop.pk}/close", user=p.director_a, body={"outcome": "x"})
    assert closed.status_code == 409
    assert {"drop_out_record", "drop_out_return", "referral_create", "referral_done"} <= set(
        AuditEvent.objects.values_list("action", flat=True)
    )


def test_drop_out_closed_with_an_outcome(api: Api, enrolled: Personas) -> None:
    p = enrolled
    bureau(p)
    made = api.post(
        "/drop-outs",
        user=p.director_a,
        body={"child": p.child_a.pk, "left_on": today().isoformat()},
    )
    assert made.status_code == 201
    drop_id = made.json()["id"]
    again = api.post(
        "/drop-outs",
        user=p.director_a,
        body={"child": p.child_a.pk, "left_on": today().isoformat()},
    )
    assert again.status_code == 422  # no longer enrolled
    assert (
        api.post(f"/drop-outs/{drop_id}/close", user=p.teacher, body={"outcome": "x"}).status_code
        == 404
    )
    empty = api.post(f"/drop-outs/{drop_id}/close", user=p.director_a, body={"outcome": " "})
    assert empty.status_code == 422
    done = api.post(
        f"/drop-outs/{drop_id}/close",
        user=p.director_a,
        body={"outcome": "已随父母迁往杭州，在当地入学"},
    )
    assert done.status_code == 200
    assert done.json()["state"] == "closed"
    assert Referral.objects.get().state == "done"


def test_drop_out_without_an_education_bureau_is_still_followed(
    api: Api, enrolled: Personas
) -> None:
    p = enrolled
    made = api.post(
        "/drop-outs", user=p.teacher, body={"child": p.child_a.pk, "left_on": today().isoformat()}
    )
    assert made.status_code == 201
    assert made.json()["referral"] is None
    assert DropOut.objects.get().state == "open"


def test_child_page_shows_the_school_section_to_registry_staff(
    client: Client, enrolled: Personas
) -> None:
    client.force_login(enrolled.director_a)
    html = client.get(reverse("registry:child-detail", args=[enrolled.child_a.pk])).content
    assert reverse("network:school-child", args=[enrolled.child_a.pk]).encode() in html
    assert "鹤溪小学".encode() in html


def test_teacher_home_links_to_the_roll(client: Client, personas: Personas) -> None:
    client.force_login(personas.teacher)
    html = client.get(reverse("web:home")).content.decode()
    assert reverse("network:school-roll-call", args=[personas.school_a.pk]) in html
    assert client.get(reverse("network:school-list")).status_code == 302


def test_each_read_of_a_child_is_logged_with_its_route(api: Api, enrolled: Personas) -> None:
    p = enrolled
    path = f"/schools/children/{p.child_a.pk}"
    for op in ("school_child_attendance", "school_absences_record"):
        last = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        if op == "school_child_attendance":
            response = api.get(f"{path}/attendance", user=p.teacher)
        else:
            body = {"days": [today().isoformat()], "reason": "illness"}
            response = api.post(f"{path}/absences", user=p.teacher, body=body)
        assert response.status_code in (200, 201)
        rows = AccessLog.objects.filter(pk__gt=last)
        assert [(r.child_id, r.user_id, r.route) for r in rows] == [
            (p.child_a.pk, p.teacher.pk, f"api:{op}")
        ], op


def test_the_roll_reads_in_a_fixed_number_of_queries(api: Api, enrolled: Personas) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from care365.registry.tests.factories import LeftBehindChildFactory

    p = enrolled
    path = f"/schools/{p.school_a.pk}/roll"
    api.get(path, user=p.teacher)  # the token is made and marked used outside the counts

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(path, user=p.teacher).status_code == 200
        return len(queries)

    one = count()
    for _ in range(4):
        child = LeftBehindChildFactory.create(village=p.village_a)
        assert enrol(api, p, child).status_code == 201
    assert count() == one
