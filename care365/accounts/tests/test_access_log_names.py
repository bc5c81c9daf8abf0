"""The access log names each child to the county administrator (who sees names) and lets them
pick a child by name; a link's filter by a child's number keeps working, and is named."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from care365.accounts.selectors import child_names, children_named
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}


def _reads(client: Client, p: Personas) -> None:
    client.force_login(p.director_a)
    client.get(reverse("registry:child-detail", args=[p.child_a.pk]))
    client.force_login(p.director_b)
    client.get(reverse("registry:child-detail", args=[p.child_b.pk]))
    client.force_login(p.other_admin)
    client.get(reverse("registry:child-detail", args=[p.child_other.pk]))


def _children_shown(html: str) -> list[str]:
    return re.findall(r'data-label="Child"><a href="/children/\d+/">([^<]*)</a>', html)


def test_each_entry_names_its_child_never_a_number(client: Client, personas: Personas) -> None:
    p = personas
    _reads(client, p)
    client.force_login(p.admin)
    html = client.get(reverse("accounts:access-log"), headers=EN).content.decode()
    assert sorted(_children_shown(html)) == sorted([p.child_a.name, p.child_b.name])
    assert f"#{p.child_a.pk}<" not in html and f"#{p.child_b.pk}<" not in html
    assert p.child_other.name not in html  # another county's


def test_the_changes_name_their_child(client: Client, personas: Personas) -> None:
    p = personas
    client.force_login(p.director_a)
    client.post(
        reverse("registry:status-add", args=[p.child_a.pk]), {"add-kind": "difficulty_poverty"}
    )
    client.force_login(p.admin)
    page = client.get(reverse("accounts:access-log"), {"log": "changes"}, headers=EN)
    assert set(_children_shown(page.content.decode())) == {p.child_a.name}


def test_the_administrator_picks_a_child_by_name(client: Client, personas: Personas) -> None:
    p = personas
    _reads(client, p)
    # A child of the administrator's county whose name also matches, never read: no entries.
    LeftBehindChildFactory.create(village=p.village_b, name="王小花")
    client.force_login(p.admin)
    page = client.get(reverse("accounts:access-log"), {"child_name": "小花"}, headers=EN)
    html = page.content.decode()
    assert 'name="child_name"' in html and 'type="hidden" name="child"' in html
    assert {e.child_id for e in page.context["page"].object_list} == {p.child_a.pk}
    # The other county's child, whatever its name, is never found through the log's search.
    other = client.get(
        reverse("accounts:access-log"), {"child_name": p.child_other.name[1:]}, headers=EN
    )
    assert not other.context["page"].object_list
    changes = client.get(
        reverse("accounts:access-log"), {"child_name": "小龙", "log": "changes"}, headers=EN
    )
    assert all(e.object_id == p.child_b.pk for e in changes.context["page"].object_list)


def test_a_link_by_number_still_filters_and_names_the_child(
    client: Client, personas: Personas
) -> None:
    p = personas
    _reads(client, p)
    client.force_login(p.admin)
    page = client.get(
        reverse("accounts:access-log"),
        {"child": str(p.child_b.pk), "username": "director_b"},
        headers=EN,
    )
    assert {e.child_id for e in page.context["page"].object_list} == {p.child_b.pk}
    html = page.content.decode()
    picked = re.search(r'id="picked-child">(.*?)</p>', html)
    assert picked and p.child_b.name in picked.group(1)
    assert f'href="{reverse("accounts:access-log")}?username=director_b"' in picked.group(1)


def test_only_roles_that_see_names_find_or_read_them(personas: Personas) -> None:
    p = personas
    assert list(children_named(p.admin, "小花")) == [p.child_a]
    assert list(children_named(p.volunteer, "小花")) == []
    assert child_names(p.admin, [p.child_a.pk, p.child_other.pk, None]) == {
        p.child_a.pk: p.child_a.name
    }
    assert child_names(p.volunteer, [p.child_a.pk]) == {}
