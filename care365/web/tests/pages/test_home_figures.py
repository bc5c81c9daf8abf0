"""The home of a province or prefecture official: counts per county below them, small cells
hidden, and never a child."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from care365.accounts.models import AccessLog
from care365.insights.services import rollups_rebuild
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

pytestmark = pytest.mark.django_db


def _rows(html: str) -> dict[str, list[str]]:
    """County name -> its cells, from the figures table."""
    rows: dict[str, list[str]] = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        found = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in found]
        if cells and not row.lstrip().startswith('<th scope="col"'):
            rows[cells[0]] = cells[1:]
    return rows


def _home(client: Client, user: object) -> str:
    """The official's home, its figures read from the insights' roll-ups (brought up to date
    first, as the worker keeps them)."""
    rollups_rebuild(timezone.localdate())
    client.force_login(user)  # type: ignore[arg-type]
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("who", ["province_official", "prefecture_official"])
def test_officials_see_counts_per_county_with_small_cells_hidden(
    client: Client, personas: Personas, who: str
) -> None:
    for _ in range(6):
        LeftBehindChildFactory.create(village=personas.village_a)
    html = _home(client, getattr(personas, who))
    rows = _rows(html)
    # 景宁: children A and B and six more, all left-behind; 庆元: one child, shown as "<5". A
    # province official is told each county's prefecture.
    in_lishui = " 丽水市" if who == "province_official" else ""
    assert rows[f"景宁畲族自治县{in_lishui}"] == ["8", "8"]
    assert rows[f"庆元县{in_lishui}"] == ["&lt;5", "&lt;5"]
    # The exact total (9) would give 庆元's 1 back: it says only what is shown.
    assert rows["All counties"] == ["≥8", "≥8"]


def test_an_official_home_shows_no_child_and_reads_no_record(
    client: Client, personas: Personas
) -> None:
    html = _home(client, personas.province_official)
    for child in (personas.child_a, personas.child_b, personas.child_other):
        assert child.name not in html
        assert f"/children/{child.pk}/" not in html
    assert 'href="/children/"' not in html and 'href="/carers/"' not in html  # not in the menu
    assert not AccessLog.objects.exists()


def test_an_official_home_reads_the_roll_ups_not_the_registry(
    client: Client, personas: Personas
) -> None:
    """A province holds a million children: the home reads two roll-up rows per county."""
    _home(client, personas.province_official)
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert not [q for q in queries if "registry_child" in q["sql"]]


def test_a_county_with_five_children_shows_its_count(client: Client, personas: Personas) -> None:
    for _ in range(3):
        LeftBehindChildFactory.create(village=personas.village_b)
    for _ in range(4):
        LeftBehindChildFactory.create(village=personas.other_village)
    rows = _rows(_home(client, personas.prefecture_official))
    assert rows["景宁畲族自治县"][0] == "5" and rows["庆元县"][0] == "5"
    assert rows["All counties"] == ["10", "10"]


def test_official_home_query_count_does_not_grow_with_counties(
    client: Client, personas: Personas
) -> None:
    from care365.areas.tests.factories import CountyFactory

    client.force_login(personas.province_official)
    client.get("/")
    with CaptureQueriesContext(connection) as before:
        client.get("/")
    for code in ("331121", "331122", "331123"):
        CountyFactory.create(code=code)
    with CaptureQueriesContext(connection) as after:
        response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.content.decode().count("丽水市") >= 5
    assert len(after) == len(before)
