"""The county administrator in a real Chromium: propose a pairing, lock a pair, propose again,
approve, and find the child's team on the child's page."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from care365.carers.models import BackgroundCheck
from care365.carers.tests.factories import CarerFactory
from care365.registry.models import Consent, ConsentPurpose
from conftest import Personas

pytestmark = pytest.mark.browser


@pytest.fixture
def county(personas: Personas) -> dict[str, Any]:
    """Two doctors near village A, so that locking one of them changes the proposal; consents
    and a vetted volunteer. Written before the browser's loop starts."""
    for child in (personas.child_a, personas.child_b):
        Consent.objects.create(
            child=child, purpose=ConsentPurpose.VOLUNTEER, given_on=date(2025, 1, 1)
        )
    volunteer = personas.carers["volunteer"]
    volunteer.background_check = BackgroundCheck.PASSED
    volunteer.background_checked_on = timezone.localdate()
    volunteer.trained_on = timezone.localdate()
    volunteer.save()
    village = personas.village_a
    doctor = personas.carers["doctor"]
    doctor.latitude, doctor.longitude = village.latitude, village.longitude
    doctor.save()
    second = CarerFactory.create(
        role="doctor",
        name="第二医生",
        organisation__area=personas.township_a,
        latitude=village.latitude + 0.05,  # 5.6 km away: the solver prefers the first
        longitude=village.longitude,
    )
    second.service_areas.add(personas.village_a, personas.township_a)
    return {
        "child": personas.child_a.name,
        "child_id": personas.child_a.pk,
        "officer": personas.carers["police"].name,
        "doctor": doctor.name,
        "second_doctor": second.name,
        "password": personas.password,
    }


def test_admin_proposes_locks_approves_and_sees_the_team(
    live_server: Any, county: dict[str, Any], chromium: Any
) -> None:
    context = chromium.new_context(locale="en-GB", viewport={"width": 1024, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", county["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.get_by_role("link", name="Pairing").click()
    page.get_by_role("button", name="Propose").click()
    page.wait_for_url(re.compile(r"/pairing/runs/\d+/"))
    assert page.locator("h1").inner_text().startswith("Proposal")

    # The child's doctor line: the nearer doctor is proposed. Lock the second one instead, by
    # forbidding the first, then propose again.
    page.select_option("#id_role", "doctor")
    page.get_by_role("button", name="Show").click()
    row = page.locator("tr", has_text=county["child"])
    assert county["doctor"] in row.inner_text()
    row.locator("button[data-action=forbid]").click()
    page.wait_for_load_state()
    assert "forbidden" in page.locator(".messages").inner_text()

    page.get_by_role("link", name="Pairing").click()
    page.get_by_role("button", name="Propose").click()
    page.wait_for_url(re.compile(r"/pairing/runs/\d+/"))
    page.select_option("#id_role", "doctor")
    page.get_by_role("button", name="Show").click()
    row = page.locator("tr", has_text=county["child"])
    assert county["second_doctor"] in row.inner_text()
    row.locator("button[data-action=lock]").click()
    page.wait_for_load_state()
    assert "locked" in page.locator(".messages").inner_text()

    page.get_by_role("link", name="Pairing").click()
    page.get_by_role("button", name="Propose").click()
    page.wait_for_url(re.compile(r"/pairing/runs/\d+/"))
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(f"{live_server.url}/pairing/")
    assert "approved" in page.locator(".messages").inner_text()

    page.goto(f"{live_server.url}/children/{county['child_id']}/")
    team = page.locator("section.team")
    assert team.locator("tr[data-role=police]").inner_text().count(county["officer"]) == 1
    doctor_row = team.locator("tr[data-role=doctor]").inner_text()
    assert county["second_doctor"] in doctor_row and "locked by the county" in doctor_row
    assert team.locator("tr[data-role=volunteer]").count() == 1
    context.close()
