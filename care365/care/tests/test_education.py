"""Doctors' health education sessions: topic from the list, materials, attendance of the
doctor's own paired children and a count of others; who sees which sessions and which children
of them; the figures per township."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from care365.accounts.tests.api_client import Api
from care365.areas.models import Area
from care365.areas.tests.factories import VillageFactory
from care365.care import selectors, services
from care365.care.models import HealthSession
from care365.care.tests.factories import team
from care365.carers.tests.factories import OrganisationFactory
from care365.core.models import AuditEvent
from care365.registry.models import Child
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

pytestmark = pytest.mark.django_db

MISSING = 987_654


def today() -> date:
    return timezone.localdate()


@pytest.fixture
def child(personas: Personas) -> Child:
    return team(personas)


@pytest.fixture
def village_c(personas: Personas) -> Area:
    """A second village of township A, which director A does not keep."""
    return VillageFactory.create(parent=personas.township_a, code="331127101202", name="西弄村")


def session_by_doctor(personas: Personas, *children: Child, **extra: object) -> HealthSession:
    return services.health_session_record(
        actor=personas.doctor,
        topic=str(extra.pop("topic", "drowning")),
        held_on=today(),
        area=personas.township_a,
        children=list(children),
        **extra,  # type: ignore[arg-type]
    )


def test_a_doctor_records_a_session_with_their_own_paired_children(
    personas: Personas, child: Child
) -> None:
    session = session_by_doctor(
        personas,
        child,
        title="夏季防溺水",
        materials="防溺水宣传册、视频",
        other_attendees=12,
        place="鹤溪小学礼堂",
    )
    assert session.doctor == personas.doctor.carer and session.recorded_by == personas.doctor
    assert list(session.children.all()) == [child]
    assert (session.topic, session.other_attendees) == ("drowning", 12)
    event = AuditEvent.objects.get(action="health_session_record", object_id=session.pk)
    assert {"topic", "materials", "children", "other_attendees"} <= set(event.changes)


def test_a_child_not_paired_with_the_doctor_is_refused_without_saying_whether_it_exists(
    personas: Personas, child: Child
) -> None:
    answers = []
    for other in (personas.child_b.pk, MISSING):
        with pytest.raises(ValidationError) as exc:
            services.health_session_record(
                actor=personas.doctor,
                topic="hygiene",
                held_on=today(),
                area=personas.township_a,
                child_ids=[child.pk, other],
            )
        answers.append(exc.value.message_dict)
    assert answers[0] == answers[1]
    assert set(answers[0]) == {"children"}
    assert not HealthSession.objects.exists()


def test_the_topic_comes_from_the_list_and_the_counts_are_bounded(
    personas: Personas, child: Child
) -> None:
    far_school = OrganisationFactory.create(kind="school", area=personas.other_village.parent)
    with pytest.raises(ValidationError) as exc:
        services.health_session_record(
            actor=personas.doctor,
            topic="astrology",
            held_on=today() + timedelta(days=1),
            area=personas.county,
            other_attendees=-1,
            school=far_school,
        )
    assert set(exc.value.message_dict) == {
        "topic",
        "held_on",
        "area",
        "other_attendees",
        "school",
    }
    with pytest.raises(PermissionDenied):
        services.health_session_record(
            actor=personas.volunteer, topic="hygiene", held_on=today(), area=personas.village_a
        )


def test_each_role_sees_its_sessions_and_only_the_children_it_may_see(
    personas: Personas, child: Child, village_c: Area
) -> None:
    child_c = LeftBehindChildFactory.create(village=village_c)
    by_doctor = session_by_doctor(personas, child, other_attendees=3)
    # The supervisor records a township session with a child of village A and one of village C.
    by_supervisor = services.health_session_record(
        actor=personas.supervisor_a,
        topic="first_aid",
        held_on=today(),
        area=personas.township_a,
        children=[child, child_c],
        doctor=personas.doctor.carer,
    )
    elsewhere = services.health_session_record(
        actor=personas.director_b,
        topic="nutrition",
        held_on=today(),
        area=personas.village_b,
        children=[personas.child_b],
    )
    seen = {
        who: set(selectors.health_sessions_list(getattr(personas, who)))
        for who in ("doctor", "director_a", "director_b", "supervisor_a", "admin", "other_admin")
    }
    assert seen["doctor"] == {by_doctor, by_supervisor}
    # Director A keeps village A: the township's sessions reach them through child A.
    assert seen["director_a"] == {by_doctor, by_supervisor}
    assert seen["director_b"] == {elsewhere}
    assert seen["supervisor_a"] == {by_doctor, by_supervisor}
    assert seen["admin"] == {by_doctor, by_supervisor, elsewhere}
    assert seen["other_admin"] == set()
    for who in ("officer", "volunteer", "outsider", "province_official"):
        assert not selectors.health_sessions_list(getattr(personas, who)).exists()
    # Attendance: only the children the reader may see; the others are not even counted.
    (row,) = selectors.session_rows(personas.director_a, [by_supervisor])
    assert row.children == [child] and row.present == 1
    (row,) = selectors.session_rows(personas.supervisor_a, [by_supervisor])
    assert set(row.children) == {child, child_c}
    (row,) = selectors.session_rows(personas.doctor, [by_supervisor])
    assert row.children == [child]
    (row,) = selectors.session_rows(personas.doctor, [by_doctor])
    assert row.present == 4


def test_the_childs_page_shows_the_sessions_to_those_who_see_health(
    client: Client, personas: Personas, child: Child
) -> None:
    session = session_by_doctor(personas, child, title="夏季防溺水")
    for who, shown in (("doctor", True), ("director_a", True), ("volunteer", False)):
        client.force_login(getattr(personas, who))
        page = client.get(reverse("registry:child-detail", args=[child.pk]))
        assert [s.pk for s in page.context["care"].sessions] == ([session.pk] if shown else [])
        assert ("夏季防溺水" in page.content.decode()) == shown


def test_the_sessions_page_records_and_lists(
    client: Client, personas: Personas, child: Child
) -> None:
    school = OrganisationFactory.create(kind="school", area=personas.township_a, name="鹤溪小学")
    client.force_login(personas.doctor)
    response = client.post(
        reverse("care:care-health-sessions"),
        {
            "topic": "oral_health",
            "title": "正确刷牙",
            "held_on": today().isoformat(),
            "area": personas.village_a.pk,
            "school": school.pk,
            "children": [child.pk],
            "other_attendees": 5,
            "materials": "牙模型",
        },
    )
    assert response.status_code == 302
    session = HealthSession.objects.get()
    assert (session.school, session.other_attendees, session.materials) == (school, 5, "牙模型")
    html = client.get(reverse("care:care-health-sessions"), headers={"Accept-Language": "en"})
    text = html.content.decode()
    assert "正确刷牙" in text and "鹤溪小学" in text and child.name in text
    client.force_login(personas.volunteer)
    assert client.get(reverse("care:care-health-sessions")).status_code == 403


def test_the_figures_count_sessions_and_attendance_per_township(
    client: Client, personas: Personas, child: Child
) -> None:
    session_by_doctor(personas, child, other_attendees=7)
    session_by_doctor(personas, child, topic="myopia")
    services.health_session_record(
        actor=personas.director_b,
        topic="nutrition",
        held_on=today(),
        area=personas.village_b,
        children=[personas.child_b],
    )
    last_year = today().replace(year=today().year - 1)
    rows, total = selectors.health_session_figures(personas.admin, since=last_year, until=today())
    by_area = {f.area: (f.sessions, f.attendances, f.children, f.others) for f in rows}
    assert by_area == {personas.township_a: (2, 2, 1, 7), personas.township_b: (1, 1, 1, 0)}
    assert total is not None and (total.sessions, total.attendances, total.children) == (3, 3, 2)
    rows, total = selectors.health_session_figures(
        personas.supervisor_a, since=last_year, until=today()
    )
    assert [(f.area, f.sessions) for f in rows] == [(personas.village_a, 0)]
    assert total is not None and total.sessions == 2
    assert (
        selectors.health_session_figures(personas.director_a, since=last_year, until=today())[0]
        == []
    )
    client.force_login(personas.admin)
    page = client.get(reverse("care:care-health-session-figures"))
    assert page.status_code == 200 and len(page.context["rows"]) == 2
    bad = client.get(
        reverse("care:care-health-session-figures") + "?since=2026-05-01&until=2026-01-01"
    )
    assert bad.status_code == 400
    client.force_login(personas.director_a)
    assert client.get(reverse("care:care-health-session-figures")).status_code == 403


def test_the_api_records_and_lists_sessions(api: Api, personas: Personas, child: Child) -> None:
    body = {
        "topic": "puberty",
        "held_on": today().isoformat(),
        "area": personas.township_a.pk,
        "children": [child.pk, personas.child_b.pk],
        "other_attendees": 2,
    }
    refused = api.post("/care/health-sessions", user=personas.doctor, body=body)
    missing = api.post(
        "/care/health-sessions",
        user=personas.doctor,
        body=body | {"children": [child.pk, MISSING]},
    )
    assert refused.status_code == missing.status_code == 422
    assert refused.json() == missing.json()
    made = api.post(
        "/care/health-sessions", user=personas.doctor, body=body | {"children": [child.pk]}
    )
    assert made.status_code == 201, made.content
    assert made.json()["children"] == [child.pk] and made.json()["present"] == 3
    listed = api.get("/care/health-sessions", user=personas.director_a).json()
    assert [s["children"] for s in listed["items"]] == [[child.pk]]
    assert api.get("/care/health-sessions", user=personas.director_b).json()["count"] == 0
    assert api.get("/care/health-sessions", user=personas.volunteer).status_code == 403
    other_area = body | {"children": [], "area": personas.other_village.pk}
    wrong = api.post("/care/health-sessions", user=personas.doctor, body=other_area)
    assert wrong.status_code == 422 and set(wrong.json()["errors"]) == {"area"}
    figures = api.get("/care/health-sessions/figures", user=personas.admin).json()
    assert figures["total"]["sessions"] == 1
    assert api.get("/care/health-sessions/figures", user=personas.doctor).status_code == 403


def test_the_sessions_page_reads_a_fixed_number_of_queries(
    client: Client, personas: Personas, child: Child
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(personas.director_a)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("care:care-health-sessions")).status_code == 200
        return len(captured)

    session_by_doctor(personas, child)
    few = queries()
    for _ in range(8):
        session_by_doctor(personas, child, other_attendees=2)
    assert queries() == few
