"""Daily care in real Chromium at phone size (390 x 844): a volunteer signs in, finds the overdue
visit at the top of their home page, and logs it in a few taps (what they did, how long, a face
for the mood, save). The child's page then shows the visit, and the page ran under the strict
CSP without a violation."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from care365.care.tests.factories import team
from conftest import Personas

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""
# Where to leave screenshots of the flow for a person to look at (unset: none are taken).
SHOTS = os.environ.get("CARE365_SCREENSHOTS", "")


@pytest.fixture
def paired(personas: Personas) -> dict[str, Any]:
    """Child A with a full team (the volunteer too, with the guardian's consent), registered
    long ago and never visited: the volunteer's visit is overdue. All before the browser."""
    child = team(personas)
    return {"child_id": child.pk, "password": personas.password}


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_a_volunteer_logs_a_visit_from_a_phone_in_a_few_taps(
    live_server: Any, paired: dict[str, Any], chromium: Any
) -> None:
    context = chromium.new_context(locale="en-GB", viewport=PHONE, has_touch=True, is_mobile=True)
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "volunteer")
    page.fill("#id_password", paired["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    # The home page opens on what is due: the overdue visit, with its button.
    row = page.locator(f'#due tr[data-child="{paired["child_id"]}"][data-kind="volunteer_visit"]')
    assert "overdue" in row.inner_text()
    _shot(page, "1-home")
    taps = 0
    row.get_by_role("link", name="Log it").tap()
    taps += 1
    page.wait_for_url(re.compile(r"/contacts/new/"))
    form = page.locator("#contact-form")
    # The kind is preset for a volunteer; the parents' fields stay out of the way.
    assert form.get_by_label("Volunteer's visit", exact=True).is_checked()
    assert not form.locator(".parents-only").is_visible()

    form.get_by_text("Homework help", exact=True).tap()
    form.get_by_text("30 min", exact=True).tap()
    form.get_by_text("Happy", exact=True).tap()
    _shot(page, "2-form")
    form.get_by_role("button", name="Save").tap()
    taps += 4
    page.wait_for_url(f"{live_server.url}/care/due/")
    assert "The contact is logged" in page.locator(".messages").inner_text()
    assert taps <= 5
    # No longer overdue: due again within a week (sooner, as the logged visit rescored the child
    # at once and its other overdue contacts keep it on the risk list: seen more often).
    again = page.locator(f'tr[data-child="{paired["child_id"]}"][data-kind="volunteer_visit"]')
    text = again.inner_text()
    assert "overdue" not in text and re.search(r"due in [1-7] days", text), text
    _shot(page, "3-due")

    page.goto(f"{live_server.url}/children/{paired['child_id']}/")
    contacts = page.locator("#contacts").inner_text()
    assert "Volunteer's visit" in contacts and "Homework help" in contacts
    assert "Happy" in contacts and "30 min" in contacts
    # A volunteer sees no health or screening section.
    assert page.locator("#health").count() == 0
    assert page.locator("#screenings").count() == 0
    _shot(page, "4-child")
    assert page.evaluate("window.__violations") == []
    context.close()


def test_a_missing_answer_is_shown_beside_its_field_and_nothing_is_saved(
    live_server: Any, paired: dict[str, Any], chromium: Any
) -> None:
    context = chromium.new_context(locale="en-GB", viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "volunteer")
    page.fill("#id_password", paired["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/children/{paired['child_id']}/contacts/new/")
    form = page.locator("#contact-form")
    form.get_by_text("Happy", exact=True).tap()
    form.get_by_role("button", name="Save").tap()
    page.wait_for_load_state()
    assert (
        "Choose at least one thing you did together."
        in page.locator("#id_contact_activities_error").inner_text()
    )
    assert "Say how long it took" in page.locator("#id_contact_duration_minutes_error").inner_text()
    # What was chosen is kept: the face is still ticked.
    assert page.locator("#contact-form").get_by_label("Happy", exact=True).is_checked()
    _shot(page, "5-errors")
    page.goto(f"{live_server.url}/children/{paired['child_id']}/")
    assert "No contacts logged yet." in page.locator("#contacts").inner_text()
    context.close()
