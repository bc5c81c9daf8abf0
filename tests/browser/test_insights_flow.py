"""Drilling down through the figures in a real Chromium, by clicking, under the strict CSP, at a
phone's width and a desktop's, in Chinese and in English:

- a province official goes from their home (the counties' figures) to the province's dashboard,
  its prefecture and a county: figures only, counts below 5 shown as "<5", no link to any child's
  record or list;
- a county administrator goes from the county's figures to a township (table) and a village (map
  point), whose figures link to the village's children.

The monthly report's request and download are in test_report_flow.py."""

from __future__ import annotations

from typing import Any

import pytest

from care365.insights.services import rollups_rebuild
from care365.insights.tests.conftest import County
from care365.insights.tests.conftest import county as county  # the fixture, for this module
from conftest import Personas

pytestmark = pytest.mark.browser

LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# The words the test clicks, per language (Accept-Language, from the browser's locale).
WORDS = {
    "en-GB": {"sign_in": "Sign in", "figures": "Figures", "small": "Figures below 5"},
    "zh-CN": {"sign_in": "登录", "figures": "数据", "small": "<5"},
}


@pytest.fixture
def figures(county: County) -> Personas:
    rollups_rebuild(county.today)
    return county.p


def _sign_in(page: Any, url: str, username: str, password: str, words: dict[str, str]) -> None:
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name=words["sign_in"]).click()
    page.wait_for_url(f"{url}/")


def _no_child_record(page: Any) -> None:
    """No link to a child, a list of children or any list behind the figures."""
    for prefix in ("/children/", "/care/", "/alerts/", "/carers/"):
        assert page.locator(f'a[href^="{prefix}"]').count() == 0, (prefix, page.url)


@pytest.mark.parametrize(("locale", "viewport"), [("zh-CN", PHONE), ("en-GB", DESKTOP)])
def test_a_province_official_drills_down_to_a_county(
    live_server: Any, figures: Personas, chromium: Any, locale: str, viewport: dict[str, int]
) -> None:
    p, words = figures, WORDS[locale]
    context = chromium.new_context(locale=locale, viewport=viewport)
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, live_server.url, "province", p.password, words)

    # Home: the counties below, with their figures; the other county's few children as "<5".
    assert p.province.name in page.locator("h1").inner_text()
    home = page.locator("table.rows").first
    assert p.county.name in home.inner_text()
    row = home.locator("tr", has_text=p.other_county.name)
    assert "<5" in row.inner_text()
    _no_child_record(page)

    page.get_by_role("link", name=words["figures"], exact=True).click()
    page.wait_for_url(f"{live_server.url}/insights/")
    assert p.province.name in page.locator("h1").inner_text()
    _no_child_record(page)
    page.locator("table.rows").first.get_by_role("link", name=p.prefecture.name).click()
    page.wait_for_url(f"**/insights/areas/{p.prefecture.pk}/**")
    assert p.prefecture.name in page.locator("h1").inner_text()
    _no_child_record(page)
    page.locator("table.rows").first.get_by_role("link", name=p.county.name).click()
    page.wait_for_url(f"**/insights/areas/{p.county.pk}/**")
    assert p.county.name in page.locator("h1").inner_text()

    # The county's figures: its 8 active children counted, township B's 3 shown as "<5".
    headline = page.locator("ul.figures.headline").inner_text()
    assert "8" in headline
    parts = page.locator("table.rows").first
    assert p.township_a.name in parts.inner_text()
    assert "<5" in parts.locator("tr", has_text=p.township_b.name).inner_text()
    assert words["small"] in page.locator("p.notice").inner_text()
    _no_child_record(page)
    # The townships below are figures too, but the official's trail stops nowhere private.
    assert page.locator(".trail a", has_text=p.province.name).count() == 1
    assert page.evaluate("window.__violations") == []
    context.close()


@pytest.mark.parametrize(("locale", "viewport"), [("en-GB", DESKTOP), ("zh-CN", PHONE)])
def test_a_county_administrator_drills_down_to_a_village(
    live_server: Any, figures: Personas, chromium: Any, locale: str, viewport: dict[str, int]
) -> None:
    p, words = figures, WORDS[locale]
    context = chromium.new_context(locale=locale, viewport=viewport)
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, live_server.url, "admin", p.password, words)

    page.get_by_role("link", name=words["figures"], exact=True).click()
    page.wait_for_url(f"{live_server.url}/insights/")
    assert p.county.name in page.locator("h1").inner_text()
    page.locator("table.rows").first.get_by_role("link", name=p.township_a.name).click()
    page.wait_for_url(f"**/insights/areas/{p.township_a.pk}/**")
    assert p.township_a.name in page.locator("h1").inner_text()
    # The village by its point on the map.
    page.locator(f'figure.map a[href^="/insights/areas/{p.village_a.pk}/"]').click()
    page.wait_for_url(f"**/insights/areas/{p.village_a.pk}/**")
    assert p.village_a.name in page.locator("h1").inner_text()
    # The trail leads back up, and the figure links to the village's children, counted exactly
    # (the administrator sees the children behind the figures: no "<5").
    assert page.locator(".trail a", has_text=p.county.name).count() == 1
    children = page.locator(f'a[href="/children/?area={p.village_a.pk}"]').first
    assert "5" in children.inner_text()
    assert page.locator("p.notice").count() == 0
    assert page.evaluate("window.__violations") == []
    context.close()
