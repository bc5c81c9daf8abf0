"""A social-work agency's staff member in a real Chromium, on a phone: sign in, open the
organisation's referrals, read one (the child's given name, never the full name), accept it and
record what was done."""

from __future__ import annotations

import re
from typing import Any

import pytest

from care365.accounts.visibility import given_name
from care365.network import services
from conftest import Personas

pytestmark = pytest.mark.browser

NARROW = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def answer(personas: Personas) -> dict[str, Any]:
    """A referral of child A to the personas' agency, and what the test looks for: written and
    read before the browser's loop runs."""
    p = personas
    p.agency.services = ["counselling"]
    p.agency.save()
    referral = services.referral_create(
        actor=p.director_a,
        child=p.child_a,
        organisation_id=p.agency.pk,
        service="counselling",
        reason="父母外出后孩子情绪低落，需要心理辅导",
        referrer_phone="13905786601",
    )
    return {
        "number": referral.pk,
        "full_name": p.child_a.name,
        "short": given_name(p.child_a.name),
        "password": p.password,
    }


def test_agency_staff_answer_a_referral_on_a_phone(
    live_server: Any, answer: dict[str, Any], chromium: Any
) -> None:
    number, full_name, short = answer["number"], answer["full_name"], answer["short"]
    password = answer["password"]

    context = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "org_staff")
    page.fill("#id_password", password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")

    page.locator("#organisation-links").get_by_role("link", name="本机构的转介").click()
    page.wait_for_url(re.compile(r"/organisation/referrals/$"))
    assert page.evaluate(NARROW)
    inbox = page.locator("main").inner_text()
    assert f"#{number}" in inbox and short not in inbox

    page.get_by_role("link", name=re.compile(f"#{number} ")).click()
    page.wait_for_url(re.compile(rf"/organisation/referrals/{number}/$"))
    assert page.evaluate(NARROW)
    body = page.locator("main").inner_text()
    assert short in body and full_name not in body and "13905786601" in body

    page.get_by_role("button", name="接受").click()
    page.wait_for_url(re.compile(rf"/organisation/referrals/{number}/$"))
    assert page.locator("#referral-state").inner_text() == "已接收"
    page.fill("#id_done-what_done", "社工入户三次，开展个案辅导")
    page.fill("#id_done-outcome", "情绪明显好转")
    page.get_by_role("button", name="记录办结").click()
    page.wait_for_url(re.compile(rf"/organisation/referrals/{number}/$"))
    assert page.locator("#referral-answer").count() == 0
    assert "情绪明显好转" in page.locator("main").inner_text()
    assert page.evaluate(NARROW)
    context.close()
