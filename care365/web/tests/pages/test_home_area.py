"""A township supervisor's home: the township's carers under the township's heading, and their
tasks counted with the follow-ups of mandatory reports that the alerts page lists for them."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from care365.accounts.access import child_get_for_user
from care365.care.jobs import _mail, digest_build, digest_send_all
from care365.care.tests.factories import pair, registered_on
from care365.carers.models import CarerRole
from care365.carers.tests.factories import CarerFactory
from care365.insights import selectors as insights_selectors
from care365.insights.services import rollups_rebuild
from care365.protection import selectors as protection_selectors
from care365.protection import services as protection_services
from care365.protection.models import Kind
from conftest import Personas

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}


def test_a_supervisor_home_counts_the_carers_serving_the_township(
    client: Client, personas: Personas
) -> None:
    p = personas
    # Another township's officer and volunteer; a county doctor who serves village A.
    CarerFactory.create(role=CarerRole.POLICE, organisation__area=p.township_b)
    elsewhere = CarerFactory.create(role=CarerRole.VOLUNTEER, organisation__area=p.township_b)
    elsewhere.service_areas.add(p.village_b)
    county_doctor = CarerFactory.create(role=CarerRole.DOCTOR, organisation__area=p.county)
    county_doctor.service_areas.add(p.village_a)
    # The figures are the roll-ups' (the worker keeps them; here they are rebuilt).
    rollups_rebuild(timezone.localdate())

    client.force_login(p.supervisor_a)
    response = client.get(reverse("web:home"), headers=EN)
    figures = {f.key: f.count for f in response.context["overview"].carers_by_role}
    assert figures == {"police": 1, "doctor": 2, "volunteer": 1}
    html = unescape(response.content.decode())
    assert f"Carers serving {p.township_a.name}" in html
    link = f"{reverse('carers:carer-list')}?role=doctor&area={p.township_a.pk}"
    assert link in html
    listed = client.get(link).context["page"].paginator.count
    assert listed == figures["doctor"]

    client.force_login(p.admin)
    response = client.get(reverse("web:home"), headers=EN)
    figures = {f.key: f.count for f in response.context["overview"].carers_by_role}
    assert figures == {"police": 2, "doctor": 2, "volunteer": 2}
    assert f'{reverse("carers:carer-list")}?role=doctor"' in response.content.decode()


def _mandatory_report(p: Personas) -> None:
    pair(p.child_a, p.officer)
    child = child_get_for_user(p.director_a, p.child_a.pk, "view")
    protection_services.alert_raise(
        actor=p.director_a, child=child, kind=Kind.SUSPECTED_ABUSE, note="bruises"
    )


def test_a_supervisor_s_follow_up_is_among_their_tasks_at_home(
    client: Client, personas: Personas
) -> None:
    p = personas
    _mandatory_report(p)
    [task] = protection_selectors.follow_ups_for_user(p.supervisor_a)
    client.force_login(p.supervisor_a)
    response = client.get(reverse("web:home"), headers=EN)
    care = response.context["care"]
    assert care["task_count"] == 1
    html = unescape(response.content.decode())
    assert reverse("protection:alert-detail", args=[task.alert_id]) in html
    assert f"Follow up the report (suspected abuse): {p.child_a.name}" in html


def test_the_digest_counts_the_follow_ups_as_open_tasks(client: Client, personas: Personas) -> None:
    p = personas
    _mandatory_report(p)
    today = timezone.localdate()
    digest = digest_build(p.supervisor_a, today)
    assert not digest.is_empty and digest.counts["tasks"] == 1
    _subject, body = _mail(digest)  # in the installation's language
    [line] = [line for line in body.splitlines() if "跟进强制报告（疑似虐待）" in line]
    assert f"#{p.child_a.pk}" in line
    digest_send_all(today)
    client.force_login(p.supervisor_a)
    html = client.get(reverse("web:home"), headers=EN).content.decode()
    assert "0 open tasks" not in html
    assert "1 open tasks." in html


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", r"(\d+) items due by today, (\d+) overdue\."),
        ("zh-hans", r"截至今天到期(\d+)项，其中(\d+)项逾期。"),
    ],
)
def test_an_administrator_s_home_says_what_is_due_in_one_sentence(
    client: Client, personas: Personas, language: str, said: str
) -> None:
    """The count of what is due and of what is overdue is one sentence in each language: its
    figures are the roll-ups' (the area's 365 figure), as the due list counts them."""
    today = timezone.localdate()
    registered_on(personas.child_a, today - timedelta(days=200))  # never visited since
    rollups_rebuild(today)
    client.force_login(personas.admin)
    html = unescape(client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE=language).content.decode())
    found = re.search(said, html)
    assert found is not None, html
    figures = insights_selectors.care(
        personas.admin, personas.county, insights_selectors.period_parse(None)
    )
    assert (int(found[1]), int(found[2])) == (int(figures.due), int(figures.overdue))
    assert int(figures.overdue) > 0  # the children were never visited
