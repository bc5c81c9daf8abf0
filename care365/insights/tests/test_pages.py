"""The dashboards and the statistics API: what each user may see, the links behind the figures,
drilling down, small cells, and the API's contract."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from care365.accounts.tests.api_client import Api
from care365.insights import access
from care365.insights.services import rollups_rebuild
from care365.insights.tests.conftest import County

pytestmark = pytest.mark.django_db
EN = {"Accept-Language": "en"}


@pytest.fixture
def built(county: County) -> County:
    rollups_rebuild(county.today)
    return county


def test_a_county_administrator_drills_down_to_a_village(client: Client, built: County) -> None:
    p = built.p
    client.force_login(p.admin)
    page = client.get(reverse("insights:dashboard"), headers=EN)
    assert page.status_code == 200
    html = page.content.decode()
    township = reverse("insights:area-dashboard", args=[p.township_a.pk])
    assert township in html and "<svg" in html
    # Figures link to the lists behind them, scoped by area.
    assert f"/children/?area={p.county.pk}&amp;status=left_behind" in html
    assert reverse("care:care-due") in html
    page = client.get(township, headers=EN)
    village = reverse("insights:area-dashboard", args=[p.village_a.pk])
    assert village in page.content.decode()
    page = client.get(village, headers=EN)
    assert page.status_code == 200
    assert page.context["board"].overview.children == 5


def test_no_area_outside_the_users_scope(client: Client, built: County) -> None:
    p = built.p
    for user, area in (
        (p.director_a, p.village_b),
        (p.director_a, p.township_a),
        (p.supervisor_a, p.county),
        (p.admin, p.other_county),
        (p.other_admin, p.village_a),
    ):
        client.force_login(user)
        assert client.get(reverse("insights:area-dashboard", args=[area.pk])).status_code == 404
        missing = client.get(reverse("insights:area-dashboard", args=[999999]))
        assert missing.status_code == 404
    for carer in (p.officer, p.doctor, p.volunteer, p.outsider):
        client.force_login(carer)
        assert client.get(reverse("insights:dashboard")).status_code == 403


def test_small_cells_above_the_county() -> None:
    assert [access.cell(n, True) for n in (0, 1, 4, 5, 12)] == ["<5", "<5", "<5", 5, 12]
    assert [access.cell(n, False) for n in (0, 4, 5)] == [0, 4, 5]


def test_figures_for_an_area_above_the_county_are_suppressed(built: County) -> None:
    from care365.areas.models import Area
    from care365.insights import selectors

    p = built.p
    # An area above the county, as the levels above it will be: its figures are the county's
    # sums, and every count below 5 shows as "<5".
    above = Area(pk=p.county.pk, level="province", code=p.county.code, name="x")
    assert access.small_cells(p.admin, above)
    assert not access.small_cells(p.admin, p.county)
    figures = selectors.children(p.admin, above, selectors.period_parse(None))
    assert figures.total == 8
    assert figures.by_status["unsupported"] == "<5"
    assert figures.by_sex == {"F": 5, "M": "<5"}
    alerts = selectors.alerts(p.admin, above, selectors.period_parse(None))
    assert alerts.raised == "<5" and alerts.acknowledge_median_s is None


def test_stats_api_contract(api: Api, built: County) -> None:
    p = built.p
    overview = api.get("/stats/overview", user=p.admin)
    assert overview.status_code == 200, overview.content
    body = overview.json()
    assert body["area"]["id"] == p.county.pk and body["children"] == 8
    assert set(body["paired"]) == {"police", "doctor", "volunteer"}
    assert {"by_status", "carers", "directors", "supervisors"} <= set(body)
    # The same user and area: children == the children list's count.
    for user, area in ((p.admin, p.county), (p.admin, p.township_b), (p.director_a, p.village_a)):
        listed = api.get("/children", user=user, query={"area": area.pk}).json()["count"]
        stats = api.get("/stats/overview", user=user, query={"area": area.pk}).json()
        assert stats["children"] == listed
    for topic in ("children", "pairing", "care", "alerts"):
        for period in ("2026-05", "2026-Q2", "2026"):
            r = api.get(
                f"/stats/{topic}", user=p.admin, query={"area": p.township_a.pk, "period": period}
            )
            assert r.status_code == 200, (topic, r.content)
    bad = api.get("/stats/care", user=p.admin, query={"period": "2026-13"})
    assert bad.status_code == 422 and "period" in bad.json()["errors"]
    # Outside the scope and missing alike: 404; no area at all (a carer): 403; no token: 401.
    for user, area_id in (
        (p.admin, p.other_county.pk),
        (p.admin, 999999),
        (p.director_a, p.village_b.pk),
    ):
        assert api.get("/stats/overview", user=user, query={"area": area_id}).status_code == 404
    assert api.get("/stats/overview", user=p.doctor).status_code == 403
    assert api.get("/stats/overview").status_code == 401


def test_counts_are_no_oracle_of_areas_outside_the_scope(api: Api, built: County) -> None:
    """A director asking for another village learns nothing: the same 404 whether the area
    exists, has children or not."""
    p = built.p
    answers = {
        api.get("/stats/children", user=p.director_b, query={"area": area}).content
        for area in (p.village_a.pk, p.other_village.pk, 999999)
    }
    assert len(answers) == 1
