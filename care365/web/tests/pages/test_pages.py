"""Signing in and out, the home page of each role, language, the layout's rules, carers."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from care365.carers.tests.factories import CarerFactory
from care365.insights.services import rollups_catch_up
from care365.registry.models import StatusKind
from care365.registry.tests.factories import LeftBehindChildFactory, status_open
from conftest import Personas

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "care365" / "web" / "templates"


def test_sign_in_lands_on_home_and_sign_out_is_a_post(client: Client, personas: Personas) -> None:
    response = client.post(
        reverse("web:login"), {"username": "director", "password": personas.password}
    )
    assert response.status_code == 302 and response["Location"] == reverse("web:home")
    assert client.get(reverse("web:logout")).status_code == 405
    response = client.post(reverse("web:logout"))
    assert response["Location"] == reverse("web:login")
    assert client.get(reverse("web:home"))["Location"].startswith(reverse("web:login"))


def test_wrong_password_is_refused_in_the_users_language(
    client: Client, personas: Personas
) -> None:
    response = client.post(
        reverse("web:login"),
        {"username": "director", "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_county_admin_home_counts_children_by_status_and_township(
    client: Client, personas: Personas
) -> None:
    LeftBehindChildFactory.create(village=personas.village_a)
    status_open(personas.child_b, StatusKind.DIFFICULTY_POVERTY, started_on=date(2025, 1, 1))
    rollups_catch_up()  # as the worker does every few seconds: the figures come from roll-ups
    client.force_login(personas.admin)
    response = client.get(reverse("web:home"))
    overview = response.context["overview"]
    assert overview.active == 3  # child_other is in another county
    by_status = {f.key: f.count for f in overview.by_status}
    assert by_status[StatusKind.LEFT_BEHIND] == 3
    assert by_status[StatusKind.DIFFICULTY_POVERTY] == 1
    assert {f.label: f.count for f in overview.by_area} == {"鹤溪街道": 2, "红星街道": 1}
    assert {f.key: f.count for f in overview.carers_by_role} == {
        "police": 1,
        "doctor": 1,
        "volunteer": 1,
    }


@pytest.mark.parametrize("who", ["admin", "supervisor_a", "director_a"])
def test_home_query_count_does_not_grow_with_children(
    client: Client, personas: Personas, who: str
) -> None:
    client.force_login(getattr(personas, who))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("web:home")).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(20):
        LeftBehindChildFactory.create(village=personas.village_a)
    # The care sections (due list, tasks, risk list, the area's 365 figure) add a fixed number,
    # each asking for the user's villages (one query for a township or a county).
    assert queries() == few <= 45


def test_supervisor_home_lists_their_townships_villages(client: Client, personas: Personas) -> None:
    rollups_catch_up()
    client.force_login(personas.supervisor_a)
    overview = client.get(reverse("web:home")).context["overview"]
    assert [(f.label, f.count) for f in overview.by_area] == [("东弄村", 1)]


def test_director_home_lists_their_children(client: Client, personas: Personas) -> None:
    client.force_login(personas.director_a)
    html = client.get(reverse("web:home")).content.decode()
    assert personas.child_a.name in html
    assert personas.child_b.name not in html
    assert reverse("registry:child-register") in html


def test_carer_home_shows_their_record_and_says_kindly_no_child_is_paired_yet(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.volunteer)
    html = client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    carer = personas.volunteer.carer
    assert carer is not None and carer.name in html
    assert "No children are paired with you yet" in html
    assert personas.child_a.name not in html


def test_a_user_without_a_role_is_told_to_ask_for_one(client: Client, personas: Personas) -> None:
    client.force_login(personas.outsider)
    html = client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "no role yet" in html


# Language -------------------------------------------------------------------------------------


def test_chinese_is_the_default_and_the_browser_can_ask_for_english(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.director_a)
    chinese = client.get(reverse("registry:child-list")).content.decode()
    assert '<html lang="zh-hans">' in chinese and "登记儿童" in chinese
    english = client.get(reverse("registry:child-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in english and "Register a child" in english


def test_the_language_switch_on_every_page_changes_the_language(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.director_a)
    url = reverse("registry:child-detail", args=[personas.child_a.pk])
    html = client.get(url).content.decode()
    assert f'action="{reverse("set_language")}"' in html
    response = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert response["Location"] == url
    assert "Entrusted carer" in client.get(url).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": url})
    assert "被委托照护人" in client.get(url).content.decode()


# Layout ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("demo", [True, False])
def test_demo_ribbon_shows_only_in_demo_mode(
    client: Client, personas: Personas, settings: Any, demo: bool
) -> None:
    settings.DEMO = demo
    html = client.get(reverse("web:login")).content.decode()
    assert ('class="demo-ribbon"' in html) is demo


def test_templates_have_no_inline_script_no_handlers_and_no_outside_assets() -> None:
    """A strict Content-Security-Policy must be able to forbid inline code, and the county may
    run on an intranet: every asset comes from the app's own static files."""
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), path
        assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", text), path
        assert "style=" not in text, path


def test_stylesheet_is_served_by_the_app(client: Client) -> None:
    response = client.get(settings.STATIC_URL.rstrip("/") + "/web/care365.css")
    if response.status_code == 404:  # the static view is off outside DEBUG; whitenoise serves it
        response = client.get("/" + settings.STATIC_URL.strip("/") + "/web/care365.css")
    assert response.status_code == 200
    assert b"@media" in b"".join(response.streaming_content)  # type: ignore[attr-defined]


# Carers ---------------------------------------------------------------------------------------


def test_a_carer_is_welcomed_with_the_languages_own_comma(
    client: Client, personas: Personas
) -> None:
    carer = personas.volunteer.carer
    assert carer is not None
    client.force_login(personas.volunteer)
    zh = client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"<h1>欢迎，{carer.name}</h1>" in zh
    en = client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"<h1>Welcome, {carer.name}</h1>" in en


def test_a_carers_skills_read_in_the_users_language(client: Client, personas: Personas) -> None:
    officer, doctor = personas.officer.carer, personas.doctor.carer
    assert officer is not None and doctor is not None
    officer.skills = ["anti_bullying", "first_aid"]
    officer.save(update_fields=["skills"])
    doctor.skills = ["dental", "nutrition"]
    doctor.save(update_fields=["skills"])
    client.force_login(personas.admin)
    for carer, zh_labels, en_labels in (
        (officer, "防欺凌、急救", "Anti-bullying、First aid"),
        (doctor, "口腔保健、营养", "Dental care、Nutrition"),
    ):
        url = reverse("carers:carer-detail", args=[carer.pk])
        zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert f"<dd>{zh_labels}</dd>" in zh
        assert not re.search(r"anti_bullying|first_aid|dental|nutrition", zh)
        en = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert f"<dd>{en_labels}</dd>" in en


def test_carers_list_filters_by_role_and_shows_detail(client: Client, personas: Personas) -> None:
    officer = personas.officer.carer
    assert officer is not None
    elsewhere = CarerFactory.create(organisation__area=personas.other_village.parent)
    client.force_login(personas.admin)
    html = client.get(reverse("carers:carer-list"), {"role": "police"}).content.decode()
    assert officer.name in html and elsewhere.name not in html
    doctor = personas.doctor.carer
    assert doctor is not None and doctor.name not in html
    detail = client.get(reverse("carers:carer-detail", args=[officer.pk])).content.decode()
    assert officer.organisation.name in detail


def test_a_carer_sees_only_their_own_carer_record(client: Client, personas: Personas) -> None:
    client.force_login(personas.doctor)
    html = client.get(reverse("carers:carer-list")).content.decode()
    doctor, officer = personas.doctor.carer, personas.officer.carer
    assert doctor is not None and officer is not None
    assert doctor.name in html and officer.name not in html


TITLED_PAGES = [
    "web:home",
    "registry:child-list",
    "registry:child-register",
    "accounts:child-break-glass",
    "carers:carer-list",
    "protection:alert-board",
    "pairing:pairing",
    "accounts:access-log",
    "registry:transfer-list",
    "care:care-due",
    "care:care-exams-due",
    "care:care-risk",
    "care:care-wishes",
    "care:care-events",
    "web:two-factor",
    "web:api-tokens",
]


@pytest.mark.parametrize("who", ["admin", "supervisor_a", "director_a", "officer", "volunteer"])
def test_every_page_title_is_plain_text(client: Client, personas: Personas, who: str) -> None:
    """A browser tab shows the <title> as it is: no markup may reach it, in either language."""
    client.force_login(getattr(personas, who))
    for name in TITLED_PAGES:
        for language in ("zh-hans", "en"):
            html = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE=language).content.decode()
            titles = re.findall(r"<title>(.*?)</title>", html, re.S)
            assert len(titles) == 1, (name, language)
            page, _sep, site = titles[0].rpartition(" · ")
            assert page.strip() and site in {"Care365", "关爱365"}, (name, language, titles)
            assert not re.search(r"[<>]|&lt;|&gt;", titles[0]), (name, language, titles)
