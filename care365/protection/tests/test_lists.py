"""What the lists of alerts say (issue 14): the board and the API list show the child (to those
who may see them), the kind, the time, who has the alert and its state; each follow-up task
appears once with what it asks; homes list the user's open alerts first, the navigation counts
them, the child's page links its open alert; people are named, never by their username."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from care365.accounts.access import children_for_user
from care365.accounts.models import User
from care365.accounts.tests.api_client import Api
from care365.pairing.models import Pairing
from care365.protection.access import OPEN, alerts_for_user
from care365.protection.models import Alert
from care365.registry.models import Consent, ConsentPurpose
from care365.web.context_processors import care365 as nav_context
from conftest import Personas

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}


@pytest.fixture
def paired(personas: Personas) -> Personas:
    """Child A's officer is the persona `officer`; the director has a name."""
    Pairing.objects.create(
        child=personas.child_a,
        role="police",
        carer=personas.carers["police"],
        since=date(2026, 1, 1),
    )
    personas.director_a.last_name, personas.director_a.first_name = "雷", "秀芳"
    personas.director_a.save(update_fields=["last_name", "first_name"])
    return personas


def _raise(client: Client, user: User, child_id: int, kind: str = "danger") -> Alert:
    client.force_login(user)
    client.post(
        reverse("protection:alert-raise", args=[child_id]),
        {"alert-kind": kind, "alert-note": ""},
        headers=EN,
    )
    return Alert.objects.order_by("-pk").first()  # type: ignore[return-value]


def _section(html: str, marker: str, length: int = 4000) -> str:
    return html[html.index(marker) :][:length]


def _officer_name(p: Personas) -> str:
    assert p.officer.carer is not None
    return p.officer.carer.name


# ---- the board ------------------------------------------------------------------------------


def test_the_board_shows_the_child_kind_time_who_has_it_and_state(
    client: Client, paired: Personas
) -> None:
    alert = _raise(client, paired.director_a, paired.child_a.pk, kind="missing")
    client.force_login(paired.supervisor_a)
    html = client.get(reverse("protection:alert-board"), headers=EN).content.decode()
    board = _section(html, 'id="alert-board"')
    assert "张小花" in board
    assert "Missing" in board
    assert alert.raised_at.astimezone().strftime("%m-%d %H:%M") in board
    assert _officer_name(paired) in board  # the paired officer has it
    assert "Open" in board

    client.force_login(paired.officer)
    client.post(reverse("protection:alert-act", args=[alert.pk, "on-the-way"]))
    client.force_login(paired.supervisor_a)
    html = client.get(reverse("protection:alert-board"), headers=EN).content.decode()
    board = _section(html, 'id="alert-board"')
    assert _officer_name(paired) in board and "On the way" in board


def test_who_has_an_alert_without_an_answer_is_who_is_being_told(
    client: Client, paired: Personas
) -> None:
    # Child B has no paired officer: the station's officers are told (or the desk).
    _raise(client, paired.director_b, paired.child_b.pk)
    client.force_login(paired.admin)
    page = client.get(reverse("protection:alert-board"), headers=EN)
    (row,) = page.context["alerts"]
    assert row.child["name"] == "李小龙"
    assert row.answered_by == "" and row.officer == ""
    assert row.told  # the label of the step that fired, never empty
    assert row.told in page.content.decode()


def test_follow_up_tasks_appear_once_each_with_what_they_ask(
    client: Client, paired: Personas
) -> None:
    _raise(client, paired.director_a, paired.child_a.pk, kind="suspected_abuse")
    client.force_login(paired.admin)
    html = client.get(reverse("protection:alert-board"), headers=EN).content.decode()
    tasks = _section(html, 'id="follow-ups"')
    tasks = tasks[: tasks.index("</section>")]
    items = re.findall(r"<li>(.*?)</li>", tasks, flags=re.S)
    assert len(items) == 2  # one for the director, one for the supervisor
    assert items[0] != items[1]
    director, supervisor = items
    assert "张小花" in director and "village children&#x27;s director" in director
    assert "雷秀芳" in director and "Visit the child" in director
    assert "township supervisor" in supervisor and "Check that the village" in supervisor
    # Each person sees their own task once.
    client.force_login(paired.director_a)
    page = client.get(reverse("protection:alert-board"), headers=EN)
    assert [t.role for t in page.context["tasks"]] == ["village children's director"]


def test_resolved_alerts_on_the_board_name_the_child(client: Client, paired: Personas) -> None:
    alert = _raise(client, paired.director_a, paired.child_a.pk)
    client.force_login(paired.officer)
    client.post(
        reverse("protection:alert-act", args=[alert.pk, "resolve"]),
        {"resolution": "safe", "note": ""},
    )
    client.force_login(paired.supervisor_a)
    html = client.get(reverse("protection:alert-board"), headers=EN).content.decode()
    assert "张小花" in _section(html, 'id="recently-resolved"', 1000)


# ---- the API list ---------------------------------------------------------------------------


def _api_raise(api: Api, user: User, child: Any, kind: str = "danger") -> int:
    response = api.post("/alerts", user=user, body={"child": child.pk, "kind": kind})
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def test_the_api_list_names_the_child_and_who_has_it(api: Api, paired: Personas) -> None:
    alert_id = _api_raise(api, paired.director_a, paired.child_a)
    (row,) = api.get("/alerts", user=paired.supervisor_a).json()["items"]
    assert row["id"] == alert_id
    assert row["child_name"] == "张小花"
    assert row["assigned_officer"]["name"] == _officer_name(paired)
    assert row["answered_by"] is None
    api.post(f"/alerts/{alert_id}/acknowledge", user=paired.officer, body={})
    (row,) = api.get("/alerts", user=paired.supervisor_a).json()["items"]
    assert row["answered_by"] == _officer_name(paired)
    assert api.get(f"/alerts/{alert_id}", user=paired.officer).json()["child_name"] == "张小花"


def test_a_volunteer_sees_the_given_name_only(api: Api, paired: Personas) -> None:
    Consent.objects.create(
        child=paired.child_a, purpose=ConsentPurpose.VOLUNTEER, given_on=date(2025, 1, 1)
    )
    Pairing.objects.create(
        child=paired.child_a,
        role="volunteer",
        carer=paired.carers["volunteer"],
        since=date(2026, 1, 1),
    )
    _api_raise(api, paired.volunteer, paired.child_a, kind="injury")
    (row,) = api.get("/alerts", user=paired.volunteer).json()["items"]
    assert row["child_name"] == "小花"


def test_the_reporter_of_a_mandatory_report_is_not_named_as_its_responder(
    api: Api, paired: Personas
) -> None:
    alert_id = _api_raise(api, paired.director_a, paired.child_a, kind="suspected_abuse")
    api.post(f"/alerts/{alert_id}/acknowledge", user=paired.officer, body={})
    api.post(f"/alerts/{alert_id}/with-child", user=paired.director_a, body={})
    (row,) = api.get("/alerts", user=paired.supervisor_a).json()["items"]
    assert row["answered_by"] is None
    (row,) = api.get("/alerts", user=paired.admin).json()["items"]
    assert row["answered_by"] == "雷秀芳"


# ---- homes, navigation, the child's page ----------------------------------------------------


def test_every_home_lists_the_users_open_alerts_first(client: Client, paired: Personas) -> None:
    alert = _raise(client, paired.director_a, paired.child_a.pk, kind="missing")
    link = reverse("protection:alert-detail", args=[alert.pk])
    for user in (paired.officer, paired.director_a, paired.supervisor_a, paired.admin):
        client.force_login(user)
        html = client.get(reverse("web:home"), headers=EN).content.decode()
        assert 'id="home-alerts"' in html, user.username
        alerts = _section(html, 'id="home-alerts"')
        assert link in alerts and "张小花" in alerts, user.username
        main = html[html.index('<main id="main">') :]
        assert main.index("<section") == main.index('<section class="home-alerts"'), user.username
    # Someone whose scope does not hold the child has nothing open.
    client.force_login(paired.director_b)
    assert 'id="home-alerts"' not in client.get(reverse("web:home")).content.decode()


def test_a_doctor_home_shows_the_alert_they_raised(client: Client, paired: Personas) -> None:
    Pairing.objects.create(
        child=paired.child_a,
        role="doctor",
        carer=paired.carers["doctor"],
        since=date(2026, 1, 1),
    )
    alert = _raise(client, paired.doctor, paired.child_a.pk, kind="injury")
    html = client.get(reverse("web:home"), headers=EN).content.decode()
    alerts = _section(html, 'id="home-alerts"')
    assert reverse("protection:alert-detail", args=[alert.pk]) in alerts
    # Doctors have no board: no link to it.
    assert f'href="{reverse("protection:alert-board")}"' not in alerts


def test_the_navigation_counts_open_alerts_with_one_query(client: Client, paired: Personas) -> None:
    _raise(client, paired.director_a, paired.child_a.pk)
    client.force_login(paired.supervisor_a)
    html = client.get(reverse("registry:child-list"), headers=EN).content.decode()
    nav = _section(html, 'id="nav-alerts"', 300)
    assert re.search(r'class="badge alert-count"[^>]*>1</span>', nav)

    request = RequestFactory().get("/")
    request.user = paired.supervisor_a
    # A page has read the user's scope (their villages, their emergency accesses) once for the
    # request already; the count adds one query.
    children_for_user(paired.supervisor_a)
    with CaptureQueriesContext(connection) as queries:
        context = nav_context(request)
        assert int(str(context["nav_alerts_open"])) == 1
        assert str(context["nav_alerts_open"]) == "1"  # counted once
    assert len(queries) == 1 and "COUNT" in queries[0]["sql"].upper()

    client.force_login(paired.director_b)
    html = client.get(reverse("registry:child-list")).content.decode()
    assert "alert-count" not in _section(html, 'id="nav-alerts"', 300)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
def test_open_alerts_are_found_by_their_index_not_by_the_users_children(
    client: Client, paired: Personas
) -> None:
    """The count runs on every page: it reads the open alerts' index and asks each alert about
    the user's scope, never lists a county's children or scans the resolved alerts."""
    _raise(client, paired.director_a, paired.child_a.pk)
    query = alerts_for_user(paired.admin).filter(OPEN)
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN SELECT COUNT(*) FROM ({sql})", params)  # noqa: S608  # the ORM's own SQL
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "alert_open_idx" in plan
    assert "LIST SUBQUERY" not in plan


def test_the_childs_page_links_its_open_alert(client: Client, paired: Personas) -> None:
    alert = _raise(client, paired.director_a, paired.child_a.pk, kind="missing")
    link = reverse("protection:alert-detail", args=[alert.pk])
    page = client.get(reverse("registry:child-detail", args=[paired.child_a.pk]), headers=EN)
    html = page.content.decode()
    assert link in html and "Open alert: missing" in html
    # A doctor of the child sees the child, not its alerts.
    Pairing.objects.create(
        child=paired.child_a,
        role="doctor",
        carer=paired.carers["doctor"],
        since=date(2026, 1, 1),
    )
    client.force_login(paired.doctor)
    page = client.get(reverse("registry:child-detail", args=[paired.child_a.pk]))
    assert page.status_code == 200 and link not in page.content.decode()
    # Resolved, it is no longer there.
    client.force_login(paired.officer)
    client.post(
        reverse("protection:alert-act", args=[alert.pk, "resolve"]),
        {"resolution": "safe", "note": ""},
    )
    client.force_login(paired.director_a)
    page = client.get(reverse("registry:child-detail", args=[paired.child_a.pk]))
    assert link not in page.content.decode()


# ---- people by name -------------------------------------------------------------------------


def test_alert_pages_name_people_never_by_username(client: Client, paired: Personas) -> None:
    alert = _raise(client, paired.director_a, paired.child_a.pk, kind="missing")
    client.force_login(paired.officer)
    client.post(reverse("protection:alert-act", args=[alert.pk, "acknowledge"]))
    client.force_login(paired.supervisor_a)
    html = client.get(
        reverse("protection:alert-detail", args=[alert.pk]), headers=EN
    ).content.decode()
    head = html[html.index("<h1>") :]
    assert "raised by 雷秀芳" in head
    assert "raised by director" not in head
    record = _section(html, "Incident record")
    assert "· 雷秀芳" in record and f"· {_officer_name(paired)}" in record
    assert "· director" not in record and "· police" not in record


def test_a_person_without_a_name_is_named_by_role_and_area(paired: Personas) -> None:
    with translation.override("en"):
        assert paired.supervisor_a.display_name == "township supervisor (鹤溪街道)"
    assert paired.director_a.display_name == "雷秀芳"
    assert paired.officer.display_name == _officer_name(paired)
    paired.outsider.first_name, paired.outsider.last_name = "Ada", "Lovelace"
    assert paired.outsider.display_name == "Ada Lovelace"
