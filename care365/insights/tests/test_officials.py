"""Province and prefecture officials and the figures: every area of their province or prefecture
is theirs, in figures only and with small cells hidden; an area outside it answers as a missing
one, on the dashboards, in the statistics API and for reports."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from care365.accounts.models import Role, User
from care365.accounts.tests.api_client import Api
from care365.accounts.tests.factories import UserFactory
from care365.areas.tests.factories import CountyFactory
from care365.insights.reports.models import Report
from care365.insights.services import rollups_rebuild
from care365.insights.tests.conftest import County

pytestmark = pytest.mark.django_db
EN = {"Accept-Language": "en"}


@pytest.fixture
def built(county: County) -> County:
    rollups_rebuild(county.today)
    return county


def _elsewhere() -> tuple[User, User]:
    """A prefecture official of 温州市 (same province, another prefecture) and a province
    official of 江苏省: neither holds 景宁 or 庆元."""
    wenzhou = CountyFactory.create(code="330327", name="苍南县").parent
    nanjing = CountyFactory.create(code="320102", name="玄武区").parent
    assert wenzhou is not None and nanjing is not None
    jiangsu = nanjing.parent
    assert jiangsu is not None
    assert wenzhou.code == "330300" and jiangsu.code == "320000"
    return (
        UserFactory.create(username="wenzhou", role=Role.PREFECTURE_OFFICIAL, area=wenzhou),
        UserFactory.create(username="jiangsu", role=Role.PROVINCE_OFFICIAL, area=jiangsu),
    )


@pytest.mark.parametrize("who", ["province_official", "prefecture_official"])
def test_an_official_sees_the_figures_of_every_area_below_with_small_cells(
    client: Client, api: Api, built: County, who: str
) -> None:
    p = built.p
    official: User = getattr(p, who)
    client.force_login(official)
    for area in (p.county, p.township_a, p.village_a, p.other_county):
        page = client.get(reverse("insights:area-dashboard", args=[area.pk]), headers=EN)
        assert page.status_code == 200, area
    village = api.call(
        "get", "/api/v1/stats/children", user=official, query={"area": p.village_a.pk}
    )
    assert village.status_code == 200
    figures = village.json()
    # Five children in village A: the count shows; the groups of fewer than five do not.
    assert figures["total"] == 5
    assert figures["by_sex"] == {"F": "<5", "M": "<5"}
    # Figures only: no link to a list of children behind a figure.
    html = client.get(reverse("insights:area-dashboard", args=[p.village_a.pk])).content.decode()
    assert "/children/?" not in html


def test_an_area_outside_the_officials_province_or_prefecture_is_missing(
    client: Client, api: Api, built: County
) -> None:
    p = built.p
    report = Report.objects.create(
        kind="monthly", period="2025-06", area=p.county, state="done", pdf=b"%PDF-1.4"
    )
    for official in _elsewhere():
        client.force_login(official)
        for area in (p.county, p.village_a, p.prefecture):
            url = reverse("insights:area-dashboard", args=[area.pk])
            assert client.get(url).status_code == 404, (official, area)
            answer = api.call(
                "get", "/api/v1/stats/overview", user=official, query={"area": area.pk}
            )
            assert answer.status_code == 404, (official, area)
        for name in ("insights:report-detail", "insights:report-progress"):
            assert client.get(reverse(name, args=[report.pk])).status_code == 404, name
        download = reverse("insights:report-download", args=[report.pk, "pdf"])
        assert client.get(download).status_code == 404
        client.logout()
