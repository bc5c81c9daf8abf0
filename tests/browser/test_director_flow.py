"""A village children's director in a real Chromium: sign in, open a child, switch language."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import Personas

pytestmark = pytest.mark.browser


def test_director_signs_in_opens_a_child_and_switches_language(
    live_server: Any, personas: Personas, chromium: Any
) -> None:
    # Read everything the test needs from the database before the browser's loop runs.
    child_name, child_id_number = personas.child_a.name, personas.child_a.id_number
    other_child, password = personas.child_b.name, personas.password
    village = personas.village_a.name

    context = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.fill("#id_username", "director")
    page.fill("#id_password", password)
    page.get_by_role("button", name="登录").click()

    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == village
    assert other_child not in page.content()

    page.get_by_role("link", name=child_name).first.click()
    page.wait_for_url(re.compile(r"/children/\d+/$"))
    detail_url = page.url
    assert page.locator("h1").inner_text() == child_name
    body = page.locator("main").inner_text()
    assert "被委托照护人" in body and "13900000000" in body
    assert child_id_number not in body  # a director sees the number masked

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.url == detail_url
    assert page.locator("html").get_attribute("lang") == "en"
    body = page.locator("main").inner_text()
    assert "Entrusted carer" in body and "被委托照护人" not in body
    assert page.locator("h1").inner_text() == child_name

    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    assert "被委托照护人" in page.locator("main").inner_text()
    context.close()
