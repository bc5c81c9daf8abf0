"""Instant protection in real Chromium: the officer has Care365 open; a village director raises an
alert from a child's page; the officer's page shows it at once (server-sent events), and the
officer acknowledges it."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from care365.pairing.models import Pairing
from conftest import Personas

pytestmark = pytest.mark.browser


@pytest.fixture
def county(personas: Personas) -> dict[str, Any]:
    Pairing.objects.create(
        child=personas.child_a,
        role="police",
        carer=personas.carers["police"],
        since=date(2026, 1, 1),
    )
    return {"child_id": personas.child_a.pk, "password": personas.password}


def _sign_in(chromium: Any, base: str, username: str, password: str) -> Any:
    context = chromium.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    return page


def _raise_from_child_page(director: Any, base: str, child_id: int, kind: str) -> str:
    """The director raises an alert from the child's page; returns the new alert's id."""
    director.goto(f"{base}/children/{child_id}/")
    director.locator("details.raise-alert summary").click()
    director.select_option("#id_alert-kind", kind)
    director.locator("#raise-alert").click()
    director.wait_for_url(re.compile(r"/alerts/\d+/$"))
    return str(director.url.rstrip("/").rsplit("/", 1)[-1])


def test_director_raises_and_the_officers_open_page_shows_it(
    asgi_server: str, county: dict[str, Any], chromium: Any
) -> None:
    officer = _sign_in(chromium, asgi_server, "police", county["password"])
    # The officer's home page is open and listening.
    officer.wait_for_function("() => window.care365Events && window.care365Events.readyState === 1")

    director = _sign_in(chromium, asgi_server, "director", county["password"])
    alert_id = _raise_from_child_page(director, asgi_server, county["child_id"], "missing")

    banner = officer.locator("#alert-banner")
    banner.wait_for(state="visible", timeout=10_000)
    assert f"#{alert_id}" in banner.inner_text()
    banner.get_by_role("link", name="Open").click()
    officer.wait_for_url(re.compile(rf"/alerts/{alert_id}/$"))
    assert "Safety card" in officer.locator("main").inner_text()
    officer.locator("#acknowledge").click()
    officer.wait_for_load_state()
    assert officer.locator("#alert-state").get_attribute("data-state") == "acknowledged"

    # The director's page of the alert follows the change.
    director.wait_for_function(
        "() => document.getElementById('alert-state').dataset.state === 'acknowledged'"
    )
    officer.context.close()
    director.context.close()


def test_a_mandatory_report_shows_the_supervisor_a_follow_up_banner(
    asgi_server: str, county: dict[str, Any], chromium: Any
) -> None:
    """A mandatory report opens follow-up tasks: the township supervisor's open page says so."""
    supervisor = _sign_in(chromium, asgi_server, "supervisor", county["password"])
    supervisor.wait_for_function(
        "() => window.care365Events && window.care365Events.readyState === 1"
    )

    director = _sign_in(chromium, asgi_server, "director", county["password"])
    alert_id = _raise_from_child_page(director, asgi_server, county["child_id"], "suspected_abuse")

    banner = supervisor.locator("#alert-banner")
    banner.wait_for(state="visible", timeout=10_000)
    assert banner.inner_text().startswith(f"New follow-up task #{alert_id}")
    supervisor.context.close()
    director.context.close()
