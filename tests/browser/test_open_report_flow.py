"""Open mandatory reporting in real Chromium, on a phone: the county administrator prints the
village's QR poster; a teacher opens the address it encodes on her phone (no sign-in, the village
already chosen), reports a child the registry does not know, and gets a receipt; the officer of
the station covering the village, whose page is open, hears of it at once (no paired officer) and
acknowledges; the teacher's look-up then says so, and nothing more."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import Personas

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _sign_in(chromium: Any, base: str, username: str, password: str) -> Any:
    context = chromium.new_context(locale="en-GB", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    return page


def _fits(page: Any) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_teacher_reports_through_the_qr_poster_and_the_officer_sees_it(
    asgi_server: str, personas: Personas, chromium: Any
) -> None:
    village = personas.village_a
    officer = _sign_in(chromium, asgi_server, "police", personas.password)
    officer.wait_for_function("() => window.care365Events && window.care365Events.readyState === 1")

    admin = _sign_in(chromium, asgi_server, "admin", personas.password)
    admin.goto(f"{asgi_server}/report/poster/{village.pk}/")
    assert admin.locator(".report-poster .qr svg").count() == 1
    address = admin.locator(".report-poster .url").inner_text().strip()
    assert address.endswith(f"/report/?area={village.pk}")
    admin.context.close()

    # The teacher's phone: Chinese, signed out, opening the poster's address.
    teacher = chromium.new_context(locale="zh-CN", viewport=PHONE).new_page()
    teacher.set_default_timeout(15_000)
    teacher.goto(address)
    assert "报告" in teacher.locator("h1").inner_text()
    assert teacher.locator("#id_village").input_value() == str(village.pk)
    assert _fits(teacher)
    teacher.fill("#id_child_name", "王小明")
    teacher.fill("#id_child_age", "8")
    teacher.fill("#id_child_where", "村口小卖部旁边的老房子")
    teacher.check("input[name=situation][value=abandoned]")
    teacher.fill("#id_what_seen", "孩子一个人在家好几天了，没有大人照顾。")
    teacher.fill("#id_reporter_name", "陈老师")
    teacher.fill("#id_reporter_phone", "139 1234 5678")
    teacher.select_option("#id_reporter_role", "teacher")
    teacher.locator("#report-submit").click()
    receipt = teacher.locator("#receipt")
    receipt.wait_for(state="visible")
    number = receipt.inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{10}", number)
    assert number not in teacher.url and "王小明" not in teacher.url
    assert _fits(teacher)

    # The covering station's officer hears of it at once, on the open page.
    banner = officer.locator("#alert-banner")
    banner.wait_for(state="visible", timeout=10_000)
    banner.get_by_role("link", name="Open").click()
    officer.wait_for_url(re.compile(r"/alerts/\d+/$"))
    text = officer.locator("main").inner_text()
    assert "王小明" in text and "陈老师" not in text and "13912345678" not in text
    officer.locator("#acknowledge").click()
    officer.wait_for_load_state()
    assert officer.locator("#alert-state").get_attribute("data-state") == "acknowledged"

    # The teacher looks the report up: its status, nothing else.
    teacher.goto(address.split("?")[0] + "status/")
    teacher.fill("#id_receipt", number.lower())
    teacher.fill("#id_phone", "13912345678")
    teacher.get_by_role("button", name="查询").click()
    status = teacher.locator("#report-status")
    status.wait_for(state="visible")
    assert status.get_attribute("data-status") == "acknowledged"
    page = teacher.locator("main").inner_text()
    assert "王小明" not in page and personas.officer.carer.name not in page  # type: ignore[union-attr]
    teacher.context.close()
    officer.context.close()
