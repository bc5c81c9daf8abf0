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
    page.get_by_role("link", name="Approve…").click()
    page.wait_for_url(re.compile(r"/pairing/runs/\d+/approve/"))
    assert "Approve the proposal?" in page.locator("h1").inner_text()
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


@pytest.fixture
def full_doctor(personas: Personas) -> dict[str, Any]:
    """Child B (village B) has nobody: the county's only doctor is full (capacity 1, child A's
    doctor), so a proposal leaves child B without a doctor. Written before the browser starts."""
    doctor = personas.carers["doctor"]
    doctor.capacity = 1
    doctor.save()
    from care365.pairing.models import Pairing

    Pairing.objects.create(
        child=personas.child_a, role="doctor", carer=doctor, since=date(2026, 1, 5)
    )
    return {
        "child": personas.child_b.name,
        "doctor": doctor.name,
        "password": personas.password,
    }


@pytest.mark.parametrize("width", [360, 1366])
def test_admin_assigns_a_carer_by_hand_on_the_pairing_page(
    live_server: Any, full_doctor: dict[str, Any], chromium: Any, width: int
) -> None:
    """The proposal leaves a child without a doctor because everyone in reach is full: the
    administrator assigns the doctor by hand, raising their capacity on the way, and the line
    shows the doctor, locked."""
    context = chromium.new_context(locale="en-GB", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", full_doctor["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/pairing/")
    page.get_by_role("button", name="Propose").click()
    page.wait_for_url(re.compile(r"/pairing/runs/\d+/"))
    proposal = page.url
    page.select_option("#id_role", "doctor")
    page.get_by_role("button", name="Show").click()
    row = page.locator("tr", has_text=full_doctor["child"])
    assert "everyone within reach is full" in row.inner_text().lower()
    row.locator("a[data-action=assign]").click()
    page.wait_for_url(re.compile(r"/pairing/children/\d+/assign/doctor/"))

    candidate = page.locator("tr", has_text=full_doctor["doctor"])
    assert "full" in candidate.inner_text()
    candidate.locator("input[name=capacity]").fill("2")
    candidate.locator("button[data-action=raise]").click()
    page.wait_for_load_state()
    assert "can now take 2 children" in page.locator(".messages").inner_text()

    page.locator("tr", has_text=full_doctor["doctor"]).locator("button[data-action=assign]").click()
    page.wait_for_url(re.compile(r"/pairing/runs/\d+/"))
    assert page.url.split("?")[0] == proposal.split("?")[0]
    assert "assigned by hand" in page.locator(".messages").inner_text()
    page.select_option("#id_outcome", "kept")
    page.select_option("#id_role", "doctor")
    page.get_by_role("button", name="Show").click()
    line = page.locator("tr", has_text=full_doctor["child"]).inner_text()
    assert full_doctor["doctor"] in line and "locked" in line
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    context.close()
