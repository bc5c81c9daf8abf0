"""The children list shows each child's open statuses (to the roles that see statuses) and team
(to whoever sees the child, as the child's page does), the teams read once for the page."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from care365.care.tests.factories import consent, pair
from care365.registry.models import ConsentPurpose, StatusKind
from care365.registry.tests.factories import ChildFactory, status_open
from conftest import Personas

pytestmark = pytest.mark.django_db


def _cells(html: str, cls: str) -> list[str]:
    return [re.sub(r"<[^>]+>", " ", c) for c in re.findall(rf'class="{cls}">(.*?)</td>', html)]


def _team(personas: Personas) -> None:
    child = personas.child_a
    consent(child, ConsentPurpose.VOLUNTEER)
    for user in (personas.officer, personas.doctor, personas.volunteer):
        pair(child, user)


def test_registry_staff_see_status_and_team_columns(client: Client, personas: Personas) -> None:
    p = personas
    _team(p)
    status_open(p.child_a, StatusKind.DIFFICULTY_POVERTY)
    client.force_login(p.director_a)
    with translation.override("en"):
        html = client.get("/children/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<th scope="col">Status</th>' in html
    assert '<th scope="col">Team</th>' in html
    [statuses] = _cells(html, "statuses")
    assert statuses == "Left-behind, In difficulty: family poverty"
    chinese = client.get("/children/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert _cells(chinese, "statuses") == ["留守儿童、困境儿童：家庭贫困"]
    [team] = _cells(html, "team")
    for carer in p.carers.values():
        assert carer.name in team
    assert team.index(p.officer.carer.name) < team.index(p.volunteer.carer.name)  # type: ignore[union-attr]


def test_a_child_without_carers_says_so(client: Client, personas: Personas) -> None:
    client.force_login(personas.director_a)
    html = client.get("/children/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "no carers yet" in _cells(html, "team")[0]


def test_a_volunteer_sees_the_team_but_no_statuses(client: Client, personas: Personas) -> None:
    p = personas
    _team(p)
    client.force_login(p.volunteer)
    html = client.get("/children/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert p.child_a.name[1:] in html and p.child_a.name not in html  # the given name alone
    assert 'class="statuses"' not in html
    assert '<th scope="col">Status</th>' not in html
    [team] = _cells(html, "team")
    assert p.volunteer.carer.name in team  # type: ignore[union-attr]


def test_the_teams_of_a_page_are_read_in_one_query(client: Client, personas: Personas) -> None:
    p = personas
    client.force_login(p.admin)

    def pairing_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/children/").status_code == 200
        return sum('"pairing_pairing"' in q["sql"] for q in ctx.captured_queries)

    few = pairing_queries()
    for _ in range(6):
        child = ChildFactory.create(village=p.village_a)
        pair(child, p.officer)
        pair(child, p.doctor)
    assert pairing_queries() == few == 1
