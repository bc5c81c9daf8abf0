"""Daily care pages: logging a contact from the child's page and the due list, the due and
overdue list, examinations with the growth chart, screenings (a self-harm answer raises a
protection alert), health education, the risk list, small wishes, care events, the home pages'
care sections, and the daily digest. A volunteer never sees health or screening data on any
page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from care365.accounts import selectors as account_selectors
from care365.care import jobs, selectors, services
from care365.care.charts import BMI_FOR_AGE, HEIGHT_FOR_AGE, sd_value
from care365.care.jobs import DIGEST_KIND, digest_send_all
from care365.care.models import (
    CareEvent,
    CareTask,
    Contact,
    ContactKind,
    Examination,
    HealthSession,
    Screening,
    Wish,
)
from care365.care.tests.factories import consent, contacts, pair, registered_on, team
from care365.core.models import AuditEvent, Notice
from care365.core.tests.routes import page_patterns
from care365.insights.services import rollups_catch_up
from care365.protection.models import Alert, AlertEvent, Kind, Notification
from care365.protection.services import outbox_send
from care365.registry.models import Child, ConsentPurpose, Guardian, Parent
from care365.registry.tests.factories import LeftBehindChildFactory
from care365.worker.loop import JOBS, Worker
from conftest import Personas

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}


def today() -> date:
    return timezone.localdate()


@pytest.fixture
def child(personas: Personas) -> Child:
    """Child A (11) with a full team: officer, doctor, volunteer; consents to a volunteer and
    to screening; registered on 2025-01-01 and never visited since."""
    return team(personas)


@pytest.fixture
def teen(personas: Personas) -> Child:
    """A 14-year-old of village A with a full team (the PHQ-A is for 12 and over)."""
    born = today().replace(year=today().year - 14) - timedelta(days=40)
    return team(
        personas, LeftBehindChildFactory.create(village=personas.village_a, birth_date=born)
    )


def log_url(child: Child, **query: str) -> str:
    url = reverse("care:care-contact-log", args=[child.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# --- logging a contact -----------------------------------------------------------------------


def test_the_log_form_starts_on_the_roles_own_kind(
    client: Client, personas: Personas, child: Child
) -> None:
    expected = {
        "volunteer": ContactKind.VOLUNTEER_VISIT,
        "officer": ContactKind.SAFETY_CHECK,
        "doctor": ContactKind.CONSULTATION,
        "director_a": ContactKind.HOME_VISIT,
        "supervisor_a": ContactKind.HOME_VISIT,
    }
    for who, kind in expected.items():
        client.force_login(getattr(personas, who))
        page = client.get(reverse("registry:child-detail", args=[child.pk]))
        form = page.context["contact_form"]
        assert form["kind"].value() == kind, who
        choices = [value for value, _label in form.fields["kind"].choices]
        assert choices == [kind, ContactKind.PARENT_CONTACT], who
    # A county administrator logs no kind of contact: no form, and the page refuses.
    client.force_login(personas.admin)
    assert (
        "contact_form" not in client.get(reverse("registry:child-detail", args=[child.pk])).context
    )
    assert client.get(log_url(child)).status_code == 403


def test_a_volunteer_logs_a_visit_in_one_post(
    client: Client, personas: Personas, child: Child
) -> None:
    client.force_login(personas.volunteer)
    response = client.post(
        log_url(child),
        {
            "kind": "volunteer_visit",
            "activities": ["homework", "music"],
            "duration_minutes": "45",
            "mood": "4",
            "what": "练了一首新歌",
            "follow_up_needed": "on",
            "follow_up_note": "下次带口琴",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:child-detail", args=[child.pk])
    contact = Contact.objects.get()
    assert (contact.kind, contact.duration_minutes, contact.mood) == ("volunteer_visit", 45, 4)
    assert contact.activities == ["homework", "music"]
    assert (contact.follow_up_needed, contact.follow_up_note) == (True, "下次带口琴")
    assert contact.logged_by == personas.volunteer and contact.occurred_on == today()
    assert AuditEvent.objects.filter(action="contact_log", object_id=contact.pk).exists()
    page = client.get(
        reverse("registry:child-detail", args=[child.pk]), headers=EN
    ).content.decode()
    assert "练了一首新歌" in page and "Homework help" in page


def test_another_length_and_an_earlier_time(
    client: Client, personas: Personas, child: Child
) -> None:
    client.force_login(personas.officer)
    earlier = timezone.localtime() - timedelta(days=2)
    client.post(
        log_url(child),
        {
            "kind": "safety_check",
            "duration_minutes": "10",
            "duration_other": "75",
            "occurred_at": earlier.strftime("%Y-%m-%dT%H:%M"),
            # What the page hides for this kind is dropped, not refused.
            "activities": ["music"],
            "channel": "video",
        },
    )
    contact = Contact.objects.get()
    assert (contact.kind, contact.duration_minutes) == ("safety_check", 75)
    assert contact.occurred_on == earlier.date()
    assert (contact.activities, contact.channel) == ([], "")


def test_errors_are_shown_beside_their_fields_in_the_users_language_and_nothing_is_saved(
    client: Client, personas: Personas, child: Child
) -> None:
    client.force_login(personas.volunteer)
    response = client.post(log_url(child), {"kind": "volunteer_visit", "mood": "2"})
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"activities", "duration_minutes"}
    html = response.content.decode()
    # Chinese by default: the service's messages, beside the fields.
    assert re.search(r'id="id_contact_activities_error">[^<]*[\u4e00-\u9fff]', html)
    assert re.search(r'id="id_contact_duration_minutes_error">[^<]*[\u4e00-\u9fff]', html)
    assert form["mood"].value() == "2"  # what was chosen stays chosen
    assert not Contact.objects.exists()
    english = client.post(log_url(child), {"kind": "volunteer_visit"}, headers=EN)
    assert "Choose at least one thing you did together." in english.content.decode()


def test_the_parents_contact_needs_how_they_were_in_touch(
    client: Client, personas: Personas, child: Child
) -> None:
    client.force_login(personas.director_a)
    data = {"kind": "parent_contact", "duration_minutes": "20", "parent": "mother"}
    refused = client.post(log_url(child), data)
    assert set(refused.context["form"].errors) == {"channel"}
    assert client.post(log_url(child), {**data, "channel": "video"}).status_code == 302
    contact = Contact.objects.get()
    assert (contact.kind, contact.channel, contact.parent) == ("parent_contact", "video", "mother")


def test_a_future_time_is_refused_beside_the_field(
    client: Client, personas: Personas, child: Child
) -> None:
    client.force_login(personas.volunteer)
    later = timezone.localtime() + timedelta(days=1)
    response = client.post(
        log_url(child),
        {
            "kind": "volunteer_visit",
            "activities": ["art"],
            "duration_minutes": "30",
            "occurred_at": later.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert set(response.context["form"].errors) == {"occurred_at"}
    assert not Contact.objects.exists()


def test_only_paired_carers_and_the_area_log(client: Client, personas: Personas) -> None:
    unpaired = registered_on(LeftBehindChildFactory.create(village=personas.village_a))
    client.force_login(personas.volunteer)
    assert client.get(log_url(unpaired)).status_code == 404
    client.force_login(personas.director_b)
    assert client.get(log_url(unpaired)).status_code == 404
    client.force_login(personas.director_a)
    assert client.get(log_url(unpaired)).status_code == 200


# --- due and overdue -------------------------------------------------------------------------


def test_an_areas_due_list_shows_every_child_page_by_page_at_a_cost_that_does_not_grow(
    client: Client, personas: Personas, settings: Any
) -> None:
    """A supervisor's area holds many children: each page shows its children's names, the
    pages together show them all, and a page costs as many queries with twice the children."""
    settings.PAGE_SIZE = 3  # six rows a page
    children = LeftBehindChildFactory.create_batch(12, village=personas.village_a)
    client.force_login(personas.supervisor_a)
    with CaptureQueriesContext(connection) as fewer:
        first = client.get(reverse("care:care-due"), headers=EN)
    rows = first.context["page"].object_list
    assert len(rows) == 6 and first.context["page"].paginator.count >= 12
    names = dict(Child.objects.values_list("pk", "name"))
    assert all(r["child"]["name"] == names[r["child"]["id"]] for r in rows)
    shown = {r["child"]["id"] for r in rows}
    ids = {c.pk for c in children}
    seen = set(shown)
    for number in range(2, first.context["page"].paginator.num_pages + 1):
        page = client.get(reverse("care:care-due"), {"page": number}, headers=EN)
        seen |= {r["child"]["id"] for r in page.context["page"].object_list}
    assert ids <= seen
    LeftBehindChildFactory.create_batch(12, village=personas.village_a)
    with CaptureQueriesContext(connection) as more:
        assert client.get(reverse("care:care-due"), headers=EN).status_code == 200
    assert len(more) == len(fewer)


def test_a_due_list_longer_than_the_cap_says_so_and_lists_its_most_overdue_items(
    client: Client, personas: Personas, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A county's list holds hundreds of thousands of items: they are counted up to the cap
    (a count of them all costs more than the page), and the page says there are more."""
    monkeypatch.setattr(account_selectors, "COUNT_CAP", 10)
    settings.PAGE_SIZE = 2  # four rows a page
    for child in LeftBehindChildFactory.create_batch(4, village=personas.village_a):
        registered_on(child)  # long ago: every kind of theirs is overdue
    client.force_login(personas.supervisor_a)
    overdue = selectors.due_list_for_user(personas.supervisor_a, today()).overdue_count()
    assert overdue > 10
    response = client.get(reverse("care:care-due"), headers=EN)
    page = response.context["page"]
    assert (page.paginator.count, page.paginator.count_is_exact) == (10, False)
    assert page.paginator.num_pages == 3
    html = response.content.decode()
    assert "Overdue: more than 10" in html
    assert "Only the first 10 are listed here; the export has them all." in html
    # The pages hold the ten most overdue items, in the list's order.
    expected = [
        (i.child.pk, i.kind)
        for i in selectors.due_list_for_user(personas.supervisor_a, today(), within_days=7)[:10]
    ]
    shown = []
    for number in (1, 2, 3):
        rows = client.get(reverse("care:care-due"), {"page": number}).context["page"].object_list
        shown += [(r["child"]["id"], r["kind"]) for r in rows]
    assert shown == expected
    zh = client.get(reverse("care:care-due"), headers={"accept-language": "zh-hans"})
    assert "逾期：超过 10 项" in zh.content.decode()
    # Below the cap the count is exact, and nothing more is said.
    monkeypatch.setattr(account_selectors, "COUNT_CAP", 10_000)
    html = client.get(reverse("care:care-due"), headers=EN).content.decode()
    assert f"Overdue: {overdue}" in html and "Only the first" not in html


def test_the_due_list_is_most_overdue_first_and_links_to_the_form(
    client: Client, personas: Personas, child: Child
) -> None:
    # A second child, visited recently: overdue by fewer days.
    second = team(personas, LeftBehindChildFactory.create(village=personas.village_a))
    contacts(second, personas.volunteer, ContactKind.VOLUNTEER_VISIT, [today() - timedelta(days=9)])
    client.force_login(personas.volunteer)
    response = client.get(reverse("care:care-due"), headers=EN)
    rows = response.context["page"].object_list
    assert [(r["child"]["id"], r["kind"]) for r in rows] == [
        (child.pk, "volunteer_visit"),
        (second.pk, "volunteer_visit"),
    ]
    assert rows[0]["days_overdue"] > rows[1]["days_overdue"] == 2
    html = response.content.decode()
    assert f"{log_url(child)}?kind=volunteer_visit&amp;back=due" in html
    assert "2 days overdue" in html
    # A volunteer's list holds their own kind only, and names children by given name only.
    assert {r["kind"] for r in rows} == {"volunteer_visit"}
    assert child.name not in html and child.name[1:] in html

    # Logged from the list: back to the list, and the row is due in a week.
    done = client.post(
        log_url(child),
        {
            "kind": "volunteer_visit",
            "back": "due",
            "activities": ["reading"],
            "duration_minutes": "30",
        },
    )
    assert done["Location"] == reverse("care:care-due")
    rows = client.get(reverse("care:care-due")).context["page"].object_list
    mine = next(r for r in rows if r["child"]["id"] == child.pk)
    assert mine["days_overdue"] == -7
    assert rows[0]["child"]["id"] == second.pk


def test_each_role_sees_what_it_answers_for(
    client: Client, personas: Personas, child: Child
) -> None:
    kinds = {
        "officer": {"safety_check"},
        "doctor": {"examination"},
        "director_a": {"home_visit", "parent_contact"},
        "supervisor_a": {
            "volunteer_visit",
            "home_visit",
            "safety_check",
            "parent_contact",
            "examination",
        },
    }
    for who, expected in kinds.items():
        client.force_login(getattr(personas, who))
        rows = client.get(reverse("care:care-due")).context["page"].object_list
        assert {r["kind"] for r in rows if r["child"]["id"] == child.pk} == expected, who
    # The doctor's examination row links to the examination form.
    client.force_login(personas.doctor)
    html = client.get(reverse("care:care-due")).content.decode()
    assert reverse("care:care-exam-record", args=[child.pk]) in html


def test_home_pages_show_the_due_list_tasks_and_the_area_figures(
    client: Client, personas: Personas, child: Child
) -> None:
    client.force_login(personas.volunteer)
    care = client.get(reverse("web:home")).context["care"]
    assert [(r["child"]["id"], r["kind"]) for r in care["due"]] == [(child.pk, "volunteer_visit")]
    assert care["overdue"] == 1 and "risk" not in care and "coverage" not in care

    jobs.risk_recompute(today())
    client.force_login(personas.director_a)
    care = client.get(reverse("web:home")).context["care"]
    assert {r["kind"] for r in care["due"]} == {"home_visit", "parent_contact"}
    assert [r["child"]["id"] for r in care["risk"]] == [child.pk]  # overdue, no parents' call

    contacts(child, personas.director_a, ContactKind.HOME_VISIT, [today() - timedelta(days=3)])
    rollups_catch_up()  # the area's figures come from the insights' roll-ups
    client.force_login(personas.admin)
    response = client.get(reverse("web:home"), headers=EN)
    figures = response.context["figures"]
    assert figures.children_365 == 2
    assert {line.kind for line in figures.kinds} == {
        "home_visit",
        "safety_check",
        "parent_contact",
        "volunteer_visit",
        "examination",
    }
    assert figures.share_365 is not None and figures.share_365 > 0
    # The overseer's home counts what is due (from the roll-ups) instead of listing every row.
    assert response.context["care"]["due"] is None
    assert response.context["care"]["overdue"] == figures.overdue
    assert "The 365 figure" in response.content.decode()


# --- the child's page ------------------------------------------------------------------------


def _health_data(personas: Personas, child: Child) -> dict[str, str]:
    """An examination, a consultation and a screening of the child, each with a marker that
    must never reach a volunteer or an officer."""
    services.contact_log(
        actor=personas.doctor,
        child=child,
        kind=ContactKind.CONSULTATION,
        duration_minutes=15,
        what="复诊-MARK-CONSULT",
    )
    services.examination_record(
        actor=personas.doctor,
        child=child,
        examined_on=today(),
        height_cm=120.0,
        weight_kg=19.5,
        vision_left=4.6,
        notes="体检-MARK-EXAM",
    )
    services.screening_record(
        actor=personas.doctor, child=child, instrument="ces-dc", answers=[3] * 20
    )
    jobs.risk_recompute(today())
    return {
        "consultation": "复诊-MARK-CONSULT",
        "examination": "体检-MARK-EXAM",
        "chart": "growth-chart",
        "screening": "CES-DC",
        "band": "depressive",
        "risk": "cut-off",
    }


def test_the_doctor_sees_examinations_z_scores_the_growth_chart_and_screenings(
    client: Client, personas: Personas, child: Child
) -> None:
    _health_data(personas, child)
    exam = Examination.objects.get()
    client.force_login(personas.doctor)
    response = client.get(reverse("registry:child-detail", args=[child.pk]), headers=EN)
    care = response.context["care"]
    assert care.sees_health and care.may_examine and care.may_screen
    assert [e.pk for e in care.examinations] == [exam.pk]
    assert [c.code for c in care.charts] == ["hfa", "bfa"]
    html = response.content.decode()
    assert html.count('<svg class="growth-chart"') == 2
    assert html.count('class="sd ') == 6  # median and ±2 SD on each chart
    assert f"{exam.zhfa:+.2f}".replace("-", "−") in html
    assert "poor vision" in html  # 4.6 is below 5.0
    assert "体检-MARK-EXAM" not in html  # notes stay in the record, not the table
    assert "CES-DC" in html and "At or above the cut-off".lower() in html.lower()
    assert "复诊-MARK-CONSULT" in html
    # The doctor reads no risk list (directors and supervisors do).
    assert care.risk is None


def test_the_director_sees_the_risk_reasons_and_the_365_figure(
    client: Client, personas: Personas, child: Child
) -> None:
    _health_data(personas, child)
    client.force_login(personas.director_a)
    response = client.get(reverse("registry:child-detail", args=[child.pk]), headers=EN)
    care = response.context["care"]
    assert care.risk is not None and care.risk.on_list
    html = response.content.decode()
    assert "A screening at or above its cut-off in the last 90 days" in html
    assert care.coverage is not None and care.coverage.days > 0
    assert set(care.coverage.kinds) == {
        "volunteer_visit",
        "home_visit",
        "safety_check",
        "parent_contact",
        "examination",
    }
    assert "Longest stretch off the plan" in html
    # A director who is not trained may read screenings but not enter one.
    assert care.screenings and not care.may_screen


def page_urls(child: Child) -> list[str]:
    """Every page a signed-in user can GET, about this child where the page takes one."""
    urls = []
    for name, pattern in page_patterns().items():
        params = set(pattern.pattern.converters)
        if not params:
            urls.append(reverse(name))
        elif params == {"child_id"}:
            urls.append(reverse(name, args=[child.pk]))
    return urls


@pytest.mark.parametrize("who", ["volunteer", "officer"])
def test_volunteers_and_officers_never_see_health_or_screening_data_on_any_page(
    client: Client, personas: Personas, child: Child, who: str
) -> None:
    markers = _health_data(personas, child)
    client.force_login(getattr(personas, who))
    seen = 0
    for url in page_urls(child):
        response = client.get(url, headers=EN)
        if response.status_code != 200:
            continue
        seen += 1
        html = response.content.decode()
        leaked = [name for name, marker in markers.items() if marker in html]
        assert leaked == [], (url, leaked)
    assert seen >= 8
    page = client.get(reverse("registry:child-detail", args=[child.pk]))
    care = page.context["care"]
    assert not care.sees_health and not care.examinations and not care.screenings
    assert care.risk is None and not care.charts
    if who == "volunteer":
        # The volunteers' visits only, and the 365 figure of their own kind.
        assert set(care.coverage.kinds) == {"volunteer_visit"}
        assert all(c.kind == "volunteer_visit" for c in care.contacts)
    for name in ("care-exam-record", "care-screening-record"):
        assert client.get(reverse(f"care:{name}", args=[child.pk])).status_code == 403


# --- health ----------------------------------------------------------------------------------


def test_the_doctor_enters_an_examination_and_sees_it_scored(
    client: Client, personas: Personas, child: Child
) -> None:
    client.force_login(personas.doctor)
    url = reverse("care:care-exam-record", args=[child.pk])
    bad = client.post(
        url,
        {"examined_on": today().isoformat(), "vision_left": "6.0", "systolic": "110"},
        headers=EN,
    )
    assert bad.status_code == 400
    assert {"vision_left", "diastolic"} <= set(bad.context["form"].errors)
    assert not Examination.objects.exists()
    ok = client.post(
        url,
        {
            "examined_on": today().isoformat(),
            "height_cm": "140.2",
            "weight_kg": "33.1",
            "position": "height",
            "systolic": "110",
            "diastolic": "70",
        },
    )
    assert ok.status_code == 302
    exam = Examination.objects.get()
    assert exam.zhfa is not None and exam.bmi is not None and exam.growth_reference == "who2007"
    assert (exam.systolic, exam.diastolic) == (110, 70)


def test_an_implausible_value_is_asked_about_before_it_is_saved(
    client: Client, personas: Personas, child: Child
) -> None:
    """120 cm and 2 kg at 11: asked beside the weight, with a box to confirm; saved only when
    it is ticked. 310 cm is refused beside the height, ticked or not."""
    client.force_login(personas.doctor)
    url = reverse("care:care-exam-record", args=[child.pk])
    values = {"examined_on": today().isoformat(), "height_cm": "120", "weight_kg": "2"}
    asked = client.post(url, values, headers=EN)
    assert asked.status_code == 400 and not Examination.objects.exists()
    assert asked.context["confirm"] is True
    errors = asked.context["form"].errors
    assert set(errors) == {"weight_kg"}
    assert "beyond what is plausible" in errors["weight_kg"][0]
    html = asked.content.decode()
    assert 'name="confirm_implausible"' in html
    assert 'id="id_weight_kg_error"' in html
    first = client.get(url, headers=EN).content.decode()
    assert 'name="confirm_implausible"' not in first  # only once a value was questioned
    saved = client.post(url, {**values, "confirm_implausible": "on"}, headers=EN)
    assert saved.status_code == 302
    exam = Examination.objects.get()
    assert "implausible_zbfa" in exam.growth_flags
    tall = client.post(url, {**values, "height_cm": "310", "confirm_implausible": "on"}, headers=EN)
    assert tall.status_code == 400 and "height_cm" in tall.context["form"].errors
    assert Examination.objects.count() == 1


def test_the_doctors_overdue_examinations(client: Client, personas: Personas, child: Child) -> None:
    client.force_login(personas.doctor)
    rows = client.get(reverse("care:care-exams-due")).context["page"].object_list
    assert [(r["child"]["id"], r["kind"]) for r in rows] == [(child.pk, "examination")]
    assert rows[0]["days_overdue"] > 0
    services.examination_record(
        actor=personas.doctor, child=child, examined_on=today(), height_cm=140.0
    )
    assert client.get(reverse("care:care-exams-due")).context["page"].object_list == []


def test_a_health_education_session_is_recorded_with_the_children_present(
    client: Client, personas: Personas, child: Child
) -> None:
    client.force_login(personas.doctor)
    page = client.get(reverse("care:care-health-sessions"))
    form = page.context["form"]
    assert [value for value, _label in form.fields["children"].choices] == [child.pk]
    response = client.post(
        reverse("care:care-health-sessions"),
        {
            "topic": "hygiene",
            "title": "勤洗手",
            "held_on": today().isoformat(),
            "area": personas.village_a.pk,
            "children": [child.pk],
        },
    )
    assert response.status_code == 302
    session = HealthSession.objects.get()
    assert list(session.children.all()) == [child] and session.doctor == personas.doctor.carer
    assert "勤洗手" in client.get(reverse("care:care-health-sessions")).content.decode()
    detail = client.get(reverse("registry:child-detail", args=[child.pk]))
    assert [s.pk for s in detail.context["care"].sessions] == [session.pk]


# --- screenings ------------------------------------------------------------------------------


def test_the_screening_form_lists_the_forms_that_suit_the_age_in_the_users_language(
    client: Client, personas: Personas, child: Child, teen: Child
) -> None:
    client.force_login(personas.doctor)
    url = reverse("care:care-screening-record", args=[child.pk])
    assert [f.code for f in client.get(url).context["suited"]] == ["ces-dc"]  # 11 years old
    teen_url = reverse("care:care-screening-record", args=[teen.pk])
    assert [f.code for f in client.get(teen_url).context["suited"]] == ["phq9", "gad7", "ces-dc"]
    chinese = client.get(teen_url + "?instrument=phq9").content.decode()
    assert "完全不会" in chinese and "感到心情低落、沮丧、易怒或绝望" in chinese
    english = client.get(teen_url + "?instrument=phq9", headers=EN).content.decode()
    assert "Not at all" in english and "Feeling down, depressed, irritable, or hopeless?" in english


def _phq9(answers: list[int], **extra: str) -> dict[str, str]:
    data = {"instrument": "phq9", "screened_on": today().isoformat(), **extra}
    data.update({f"item_{i + 1}": str(a) for i, a in enumerate(answers)})
    return data


def test_a_self_harm_answer_through_the_page_raises_a_protection_alert(
    client: Client, personas: Personas, teen: Child
) -> None:
    client.force_login(personas.doctor)
    url = reverse("care:care-screening-record", args=[teen.pk])
    response = client.post(url, _phq9([0, 0, 0, 0, 0, 0, 0, 0, 1]), follow=True, headers=EN)
    assert response.status_code == 200
    row = Screening.objects.get()
    assert (row.total, row.flags, row.above_cutoff) == (1, ["self_harm"], False)
    alert = Alert.objects.get(child=teen)
    assert row.alert == alert and alert.kind == Kind.SELF_HARM and alert.state == "open"
    assert alert.assigned_officer == personas.officer.carer
    task = CareTask.objects.get(child=teen)
    assert (task.kind, task.assignee, task.due_on) == ("self_harm", personas.doctor, today())
    messages = [str(m) for m in response.context["messages"]]
    assert any("protection alert is raised" in m for m in messages)


def test_a_positive_screening_refers_and_a_missing_answer_is_shown_beside_it(
    client: Client, personas: Personas, teen: Child
) -> None:
    client.force_login(personas.doctor)
    url = reverse("care:care-screening-record", args=[teen.pk])
    missing = client.post(url, _phq9([2, 2, 2, 1, 1, 1, 1, 0]), headers=EN)  # item 9 unanswered
    assert missing.status_code == 400
    assert set(missing.context["form"].errors) == {"item_9"}
    assert "Answer this question." in missing.content.decode()
    assert not Screening.objects.exists()
    client.post(url, _phq9([2, 2, 2, 1, 1, 1, 1, 0, 0], sup_difficulty="2"))
    row = Screening.objects.get()
    assert (row.total, row.band, row.above_cutoff) == (10, "moderate", True)
    assert row.supplementary == {"difficulty": 2}
    assert CareTask.objects.get().kind == "referral" and not Alert.objects.exists()


def test_a_trained_director_screens_and_the_doctor_gets_the_task_notice(
    client: Client, personas: Personas, teen: Child
) -> None:
    client.force_login(personas.director_a)
    url = reverse("care:care-screening-record", args=[teen.pk])
    assert client.get(url).status_code == 403
    services.screener_set(actor=personas.admin, director=personas.director_a, trained=True)
    assert client.get(url).status_code == 200
    client.post(url, _phq9([3, 3, 2, 2, 2, 1, 1, 1, 0]))
    notice = Notice.objects.get(recipient=personas.doctor, kind="care_task")
    client.force_login(personas.doctor)
    home = client.get(reverse("web:home"), headers=EN).content.decode()
    assert f"A screening of child #{teen.pk} is at or above its cut-off" in home
    assert teen.name not in home.split("notices-box")[1].split("</section>")[0]
    assert notice.params["child"] == teen.pk
    # The doctor closes the referral from the due page; a second close is told it is done.
    task = CareTask.objects.get()
    due = client.get(reverse("care:care-due"))
    assert [t.pk for t in due.context["tasks"]] == [task.pk]
    client.post(reverse("care:care-task-done", args=[task.pk]), {"note": "已转诊"})
    task.refresh_from_db()
    assert (task.state, task.note) == ("done", "已转诊")
    again = client.post(reverse("care:care-task-done", args=[task.pk]), follow=True, headers=EN)
    assert any("already done" in str(m) for m in again.context["messages"])


def test_no_consent_no_form(client: Client, personas: Personas, teen: Child) -> None:
    teen.consents.filter(purpose=ConsentPurpose.HEALTH_SCREENING).update(withdrawn_on=today())
    client.force_login(personas.doctor)
    url = reverse("care:care-screening-record", args=[teen.pk])
    page = client.get(url + "?instrument=phq9")
    assert page.context["consent"].holds is False and "form" not in page.context
    client.post(url, _phq9([0] * 9))
    assert not Screening.objects.exists()


def test_without_consent_the_doctor_is_told_who_records_it(
    client: Client, personas: Personas, teen: Child
) -> None:
    """The doctor may not record a consent: the pages name the village's children's director,
    who does, and offer no form (for an examination as for a screening)."""
    teen.consents.filter(purpose=ConsentPurpose.HEALTH_SCREENING).update(withdrawn_on=today())
    personas.director_a.last_name, personas.director_a.first_name = "雷", "海建"
    personas.director_a.save()
    client.force_login(personas.doctor)
    for name in ("care-screening-record", "care-exam-record"):
        page = client.get(reverse(f"care:{name}", args=[teen.pk]), headers=EN)
        html = page.content.decode()
        assert "The guardian has not consented to health examinations and screening." in html
        assert "children's director or township supervisor records it" in html
        assert "Ask " + personas.director_a.get_full_name() + "." in html
        assert "?consent=health_screening" not in html  # not theirs to record
        assert 'name="height_cm"' not in html and 'name="item_1"' not in html
    child_page = client.get(reverse("registry:child-detail", args=[teen.pk]), headers=EN)
    html = child_page.content.decode()
    assert reverse("care:care-exam-record", args=[teen.pk]) not in html
    assert reverse("care:care-screening-record", args=[teen.pk]) not in html
    assert "The guardian has not consented to health examinations and screening." in html
    # The examination is refused as the screening is.
    posted = client.post(
        reverse("care:care-exam-record", args=[teen.pk]),
        {"examined_on": today().isoformat(), "height_cm": "160", "weight_kg": "50"},
    )
    assert posted.status_code == 400 and not Examination.objects.exists()


def test_without_consent_a_director_is_linked_to_the_consent_form(
    client: Client, personas: Personas, teen: Child
) -> None:
    teen.consents.filter(purpose=ConsentPurpose.HEALTH_SCREENING).update(withdrawn_on=today())
    services.screener_set(actor=personas.admin, director=personas.director_a, trained=True)
    client.force_login(personas.director_a)
    page = client.get(reverse("care:care-screening-record", args=[teen.pk]), headers=EN)
    link = reverse("registry:child-detail", args=[teen.pk]) + "?consent=health_screening#consent"
    assert link in page.content.decode()
    # The link opens the consent form on the purpose.
    detail = client.get(link.split("#")[0], headers=EN)
    assert detail.context["consent_open"] is True
    assert detail.context["consent_form"]["purpose"].value() == "health_screening"
    assert 'id="consent"' in detail.content.decode()
    recorded = client.post(
        reverse("pairing:consent-record", args=[teen.pk]),
        {"consent-purpose": "health_screening", "consent-reference": "JN-7"},
    )
    assert recorded.status_code == 302
    page = client.get(reverse("care:care-screening-record", args=[teen.pk]), headers=EN)
    assert page.context["consent"].holds and "?consent=" not in page.content.decode()


# --- the risk list ---------------------------------------------------------------------------


def test_the_risk_list_is_highest_first_with_reasons(
    client: Client, personas: Personas, child: Child, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = LeftBehindChildFactory.create(village=personas.village_a)
    Guardian.objects.filter(child=alone).delete()
    registered_on(alone, today() - timedelta(days=3))
    Parent.objects.filter(child=alone).delete()
    jobs.risk_recompute(today())
    client.force_login(personas.director_a)
    response = client.get(reverse("care:care-risk"), headers=EN)
    rows = response.context["rows"]
    scores = [r["risk"].score for r in rows]
    assert scores == sorted(scores, reverse=True)
    # Child A: three visits and an examination overdue, no parents' call (55); the child living
    # alone (40), just registered, with the examination due since registration (5).
    assert [(r["child"]["id"], r["risk"].score) for r in rows] == [(child.pk, 55), (alone.pk, 45)]
    html = response.content.decode()
    assert "Under 16 and living alone, without an entrusted carer" in html
    assert "No contact from the parents for" in html
    # A county's list is counted up to the cap, and says when it holds more.
    monkeypatch.setattr(account_selectors, "COUNT_CAP", 1)
    capped = client.get(reverse("care:care-risk"), headers=EN)
    assert [r["child"]["id"] for r in capped.context["rows"]] == [child.pk]
    assert "Only the first 1 are listed here; the export has them all." in capped.content.decode()
    for who in ("volunteer", "officer", "doctor"):
        client.force_login(getattr(personas, who))
        assert client.get(reverse("care:care-risk")).status_code == 403


# --- wishes and events -----------------------------------------------------------------------


def test_a_wish_from_post_to_confirmation(client: Client, personas: Personas, child: Child) -> None:
    client.force_login(personas.volunteer)
    posted = client.post(
        reverse("care:care-wish-post", args=[child.pk]), {"what": "一盒水彩笔", "cost_yuan": "35"}
    )
    assert posted.status_code == 302
    wish = Wish.objects.get()
    assert (wish.state, wish.posted_by) == ("open", personas.volunteer)

    # The board shows a given name, age and township: no full name, no village. A director of
    # another village of the county sees it, and claims it.
    client.force_login(personas.director_b)
    board = client.get(reverse("care:care-wishes"))
    (card,) = board.context["page"].object_list
    assert (card.name, card.township, card.what) == (child.name[1:], "鹤溪街道", "一盒水彩笔")
    html = board.content.decode()
    assert child.name not in html and personas.village_a.name not in html
    act = reverse("care:care-wish-act", args=[wish.pk, "claim"])
    assert client.post(act).status_code == 302
    wish.refresh_from_db()
    assert (wish.state, wish.claimed_by) == ("claimed", personas.director_b)

    # A second claim is told the wish is taken (the service's conditional update).
    client.force_login(personas.officer)
    taken = client.post(act, follow=True, headers=EN)
    assert any("already claimed" in str(m) for m in taken.context["messages"])
    # The officer sees the child, but the wish is not theirs to deliver: no button.
    assert taken.context["own"][0]["actions"] == []

    client.force_login(personas.director_b)
    client.post(reverse("care:care-wish-act", args=[wish.pk, "deliver"]))
    client.force_login(personas.volunteer)
    confirmed = client.post(
        reverse("care:care-wish-act", args=[wish.pk, "confirm"]),
        {"note": "很开心", "back": "child"},
    )
    assert confirmed["Location"] == reverse("registry:child-detail", args=[child.pk])
    wish.refresh_from_db()
    assert (wish.state, wish.confirmed_by, wish.note) == ("confirmed", personas.volunteer, "很开心")
    assert client.post(reverse("care:care-wish-act", args=[wish.pk, "fly"])).status_code == 403


def test_the_wish_board_names_the_child_not_a_he(
    client: Client, personas: Personas, child: Child
) -> None:
    """The board shows no sex, and Chinese has no neutral "him": the button names the child by
    the given name (or initial) the board already shows."""
    assert child.sex == "F"
    services.wish_post(actor=personas.director_a, child=child, what="一盒水彩笔", cost_yuan=35)
    client.force_login(personas.director_b)
    zh = client.get(reverse("care:care-wishes"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"我来帮{child.name[1:]}实现心愿" in zh
    assert "帮他" not in zh and "帮她" not in zh
    en = client.get(reverse("care:care-wishes"), headers=EN).content.decode()
    assert f"I'll make {child.name[1:]}'s wish come true" in en


def test_a_director_claims_for_a_donor(client: Client, personas: Personas, child: Child) -> None:
    wish = services.wish_post(actor=personas.director_a, child=child, what="书包", cost_yuan=80)
    client.force_login(personas.director_a)
    client.post(reverse("care:care-wish-act", args=[wish.pk, "claim"]), {"donor_name": "爱心书店"})
    wish.refresh_from_db()
    assert (wish.state, wish.donor_name) == ("claimed", "爱心书店")


def test_a_wish_without_the_guardians_consent_is_refused(
    client: Client, personas: Personas
) -> None:
    plain = registered_on(LeftBehindChildFactory.create(village=personas.village_a))
    client.force_login(personas.director_a)
    response = client.post(
        reverse("care:care-wish-post", args=[plain.pk]), {"what": "篮球", "cost_yuan": "60"}
    )
    assert response.status_code == 400 and response.context["form"].non_field_errors()
    assert not Wish.objects.exists()


def test_care_events_are_recorded_by_the_area_and_listed(
    client: Client, personas: Personas, child: Child
) -> None:
    client.force_login(personas.director_a)
    response = client.post(
        reverse("care:care-events"),
        {
            "kind": "childrens_day",
            "title": "六一游园会",
            "held_on": today().isoformat(),
            "area": personas.village_a.pk,
            "children": [child.pk],
            "given": "文具礼包",
        },
    )
    assert response.status_code == 302
    event = CareEvent.objects.get()
    assert list(event.children.all()) == [child] and event.given == "文具礼包"
    client.force_login(personas.volunteer)
    page = client.get(reverse("care:care-events"))
    assert "六一游园会" in page.content.decode() and page.context["form"] is None
    assert client.post(reverse("care:care-events"), {"title": "x"}).status_code == 403


# --- the daily digest ------------------------------------------------------------------------


def test_the_worker_runs_the_risk_list_and_the_digest_daily() -> None:
    names = [job.name for job in JOBS]
    assert names.index("risk_recompute") < names.index("care_digest")


def test_the_digest_reminds_each_user_once_a_day_in_the_app_and_by_email(
    personas: Personas, child: Child
) -> None:
    personas.volunteer.email = "volunteer@example.org"
    personas.volunteer.save(update_fields=["email"])
    summary = digest_send_all(today())
    reminded = set(Notice.objects.filter(kind=DIGEST_KIND).values_list("recipient", flat=True))
    # Everyone with something due in the next two days: child A's team and area. Child B was
    # registered today: nothing of director B's is due yet. No role, no digest.
    assert {personas.volunteer.pk, personas.director_a.pk, personas.officer.pk} <= reminded
    assert personas.director_b.pk not in reminded and personas.outsider.pk not in reminded
    notice = Notice.objects.get(recipient=personas.volunteer, kind=DIGEST_KIND)
    assert notice.params == {
        "day": today().isoformat(),
        "overdue": 1,
        "due_today": 0,
        "upcoming": 0,
        "tasks": 0,
        "wishes_to_deliver": 0,
    }
    assert summary == f"{len(reminded)} users reminded, 1 by email"
    # The email is a row of the notification outbox, keyed by user and day; nothing is sent yet.
    key = f"care-digest-{personas.volunteer.pk}-{today().isoformat()}"
    row = Notification.objects.get(kind=Notification.Kind.CARE_DIGEST)
    assert (row.idempotency_key, row.recipient, row.address, row.channel, row.alert) == (
        key,
        personas.volunteer,
        "volunteer@example.org",
        "email",
        None,
    )
    assert row.state == Notification.State.PENDING and mail.outbox == []

    # The same day again: nobody twice, nothing more in the outbox.
    assert digest_send_all(today()) == "0 users reminded, 0 by email"
    assert Notice.objects.filter(kind=DIGEST_KIND).count() == len(reminded)
    # Even were the day's notice gone, the outbox's key keeps the email from being queued twice.
    notice.delete()
    assert digest_send_all(today()) == "1 users reminded, 0 by email"
    assert Notification.objects.filter(kind=Notification.Kind.CARE_DIGEST).count() == 1

    # The worker's outbox sends it, once.
    assert Worker().protect(timezone.now()) == {"outbox": "1 sent, 0 to retry, 0 failed"}
    (email,) = mail.outbox
    assert email.to == ["volunteer@example.org"]
    assert email.extra_headers["Message-ID"] == f"<{key}@care365>"
    assert email.subject and "\n" not in email.subject
    assert f"#{child.pk}" in email.body and child.name not in email.body
    row.refresh_from_db()
    assert (row.state, row.attempts) == (Notification.State.SENT, 1)
    assert not AlertEvent.objects.exists()  # no alert's history to record it in
    assert not Worker().protect(timezone.now())
    assert len(mail.outbox) == 1


def test_a_digest_rolled_back_queues_no_email(personas: Personas, child: Child) -> None:
    """The email is queued in the job's transaction: a run that fails queues nothing."""
    personas.volunteer.email = "volunteer@example.org"
    personas.volunteer.save(update_fields=["email"])
    with pytest.raises(RuntimeError), transaction.atomic():
        digest_send_all(today())
        raise RuntimeError("the job failed")
    assert not Notification.objects.exists() and not Notice.objects.exists()
    assert not outbox_send()
    assert mail.outbox == []


def test_a_digest_email_that_fails_is_retried_by_the_outbox(
    personas: Personas, child: Child, settings: Any
) -> None:
    personas.volunteer.email = "volunteer@example.org"
    personas.volunteer.save(update_fields=["email"])
    digest_send_all(today())
    row = Notification.objects.get(kind=Notification.Kind.CARE_DIGEST)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard port: refused
    now = timezone.now()
    assert outbox_send(now=now).retrying == 1
    row.refresh_from_db()
    assert row.state == Notification.State.PENDING and "mail server" in row.last_error
    assert row.next_attempt_at == now + timedelta(seconds=2)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox_send(now=row.next_attempt_at).sent == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == (Notification.State.SENT, 2, "")
    (email,) = mail.outbox
    assert email.extra_headers["Message-ID"] == f"<{row.idempotency_key}@care365>"


def test_the_digest_notice_is_shown_on_the_home_page(
    client: Client, personas: Personas, child: Child
) -> None:
    digest_send_all(today())
    client.force_login(personas.volunteer)
    html = client.get(reverse("web:home"), headers=EN).content.decode()
    assert "Today: 1 overdue, 0 due today, 0 due soon, 0 open tasks." in html


# --- the growth chart ------------------------------------------------------------------------


def test_the_chart_curves_are_whos_median_and_two_sd() -> None:
    # WHO 2007, girls, 120 months: height median 138.6 cm; BMI median 16.6.
    assert sd_value(HEIGHT_FOR_AGE, "F", 120, 0) == pytest.approx(138.6, abs=0.1)
    assert sd_value(BMI_FOR_AGE, "F", 120, 0) == pytest.approx(16.6, abs=0.1)
    low, high = sd_value(HEIGHT_FOR_AGE, "F", 120, -2), sd_value(HEIGHT_FOR_AGE, "F", 120, 2)
    assert low is not None and high is not None and low < 138.6 < high
    # WHO 2006, boys, 12 months: length median 75.7 cm.
    assert sd_value(HEIGHT_FOR_AGE, "M", 12, 0) == pytest.approx(75.7, abs=0.1)
    assert sd_value(HEIGHT_FOR_AGE, "M", 240, 0) is None


def test_a_child_without_examinations_has_no_chart(
    client: Client, personas: Personas, child: Child
) -> None:
    client.force_login(personas.doctor)
    care = client.get(reverse("registry:child-detail", args=[child.pk])).context["care"]
    assert care.charts == [] and care.examinations == []


def test_tiny_children_get_a_chart_in_months(client: Client, personas: Personas) -> None:
    baby = LeftBehindChildFactory.create(
        village=personas.village_a, birth_date=today() - timedelta(days=200)
    )
    registered_on(baby, today() - timedelta(days=100))
    consent(baby, ConsentPurpose.HEALTH_SCREENING)
    pair(baby, personas.doctor, today() - timedelta(days=100))
    services.examination_record(
        actor=personas.doctor, child=baby, examined_on=today(), height_cm=66.0, weight_kg=7.5
    )
    client.force_login(personas.doctor)
    care = client.get(reverse("registry:child-detail", args=[baby.pk])).context["care"]
    height = care.charts[0]
    assert not height.in_years and len(height.marks) == 1
    mark = height.marks[0]
    assert height.left <= mark.x <= height.right and height.top <= mark.y <= height.bottom


def test_the_digest_email_goes_through_a_real_mail_server(
    personas: Personas, child: Child, settings: Any
) -> None:
    from aiosmtpd.controller import Controller

    from care365.protection.tests.conftest import Mailbox, free_port

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.PUBLIC_URL = "https://care.example.org"
    personas.officer.email = "officer@police.example"
    personas.officer.save(update_fields=["email"])
    try:
        digest_send_all(today())
        assert outbox_send().sent == 1
    finally:
        controller.stop()
    (message,) = mailbox.messages
    assert message["To"] == "officer@police.example"
    assert (
        message["Message-ID"]
        == f"<care-digest-{personas.officer.pk}-{today().isoformat()}@care365>"
    )
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode()
    assert "https://care.example.org/care/due/" in body and f"#{child.pk}" in body
    assert child.name not in body


def test_a_supervisor_chooses_the_area_first_so_no_page_lists_a_whole_township(
    client: Client, personas: Personas, child: Child
) -> None:
    client.force_login(personas.supervisor_a)
    first = client.get(reverse("care:care-events"))
    assert first.context["pick_area"] and first.context["form"].fields["children"].choices == []
    chosen = client.get(reverse("care:care-events") + f"?area={personas.village_a.pk}")
    assert not chosen.context["pick_area"]
    assert [v for v, _l in chosen.context["form"].fields["children"].choices] == [child.pk]
    response = client.post(
        reverse("care:care-health-sessions"),
        {
            "topic": "myopia",
            "held_on": today().isoformat(),
            "area": personas.village_a.pk,
            "children": [child.pk],
        },
    )
    assert response.status_code == 302
    assert list(HealthSession.objects.get().children.all()) == [child]
