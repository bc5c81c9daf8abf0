"""A county administrator drills down from the county's figures to a village in real Chromium,
by clicking: county -> township (table) -> village (map point), under the strict CSP.

The province user's drill-down to a county waits for the levels above the county (province and
prefecture areas and their officials) to exist in the area tree."""

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


@pytest.fixture
def figures(county: County) -> Personas:
    rollups_rebuild(county.today)
    return county.p


def test_a_county_administrator_drills_down_to_a_village(
    live_server: Any, figures: Personas, chromium: Any
) -> None:
    p = figures
    context = chromium.new_context(locale="en-GB", viewport={"width": 1366, "height": 900})
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", p.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.get_by_role("link", name="Figures", exact=True).click()
    page.wait_for_url(f"{live_server.url}/insights/")
    assert p.county.name in page.locator("h1").inner_text()
    page.locator("table.rows").first.get_by_role("link", name=p.township_a.name).click()
    page.wait_for_url(f"**/insights/areas/{p.township_a.pk}/**")
    assert p.township_a.name in page.locator("h1").inner_text()
    # The village by its point on the map.
    page.locator(f'figure.map a[href^="/insights/areas/{p.village_a.pk}/"]').click()
    page.wait_for_url(f"**/insights/areas/{p.village_a.pk}/**")
    assert p.village_a.name in page.locator("h1").inner_text()
    # The trail leads back up, and the figure links to the village's children.
    assert page.locator(".trail a", has_text=p.county.name).count() == 1
    children = page.locator(f'a[href="/children/?area={p.village_a.pk}"]').first
    assert "5" in children.inner_text()
    assert page.evaluate("window.__violations") == []
    context.close()
