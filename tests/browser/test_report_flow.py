"""A county administrator in a real Chromium asks for the monthly report, watches the progress
bar fill (htmx polling), and downloads the .xlsx and the PDF, which open: in Chinese on a phone,
in English on a desktop (the report is in the language of whoever asked)."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from care365.insights.reports.periods import period_latest
from care365.worker.loop import Worker
from conftest import Personas

pytestmark = pytest.mark.browser

WORDS = {
    "zh-CN": {
        "sign_in": "登录",
        "reports": "报表",
        "make": "生成报表",
        "sheet": "结对覆盖",
        "viewport": {"width": 390, "height": 844},
    },
    "en-GB": {
        "sign_in": "Sign in",
        "reports": "Reports",
        "make": "Make the report",
        "sheet": "Pairing coverage",
        "viewport": {"width": 1366, "height": 900},
    },
}


@pytest.fixture
def worker(live_server: Any) -> Iterator[None]:
    """A worker's report thread, as `care365 worker` runs it (its own thread, its own
    connection), polling the live server's database."""
    running = Worker(sweep_interval=0.2)
    thread = threading.Thread(target=running.reports_loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        running.stop.set()
        thread.join(timeout=30)


@pytest.mark.parametrize("locale", ["zh-CN", "en-GB"])
def test_admin_asks_for_the_monthly_report_and_downloads_it(
    live_server: Any, personas: Personas, chromium: Any, worker: None, locale: str
) -> None:
    password, county = personas.password, personas.county.name
    period = period_latest("monthly", timezone.localdate())
    words: dict[str, Any] = WORDS[locale]

    context = chromium.new_context(locale=locale, viewport=words["viewport"])
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", password)
    page.get_by_role("button", name=words["sign_in"]).click()
    page.wait_for_url(f"{live_server.url}/")

    page.get_by_role("link", name=words["reports"], exact=True).first.click()
    page.wait_for_url(f"{live_server.url}/reports/")
    assert page.input_value("#id_period") == period
    page.get_by_role("button", name=words["make"]).click()
    page.wait_for_url("**/reports/*/")
    assert county in page.locator("h1").inner_text()
    # The worker builds it; htmx swaps the progress for the downloads without a reload.
    page.wait_for_selector("#download-xlsx", timeout=60_000)
    assert page.locator("#report-state").get_attribute("data-state") == "done"

    with page.expect_download() as got:
        page.click("#download-xlsx")
    xlsx = got.value
    assert xlsx.suggested_filename.endswith(f"-{period}.xlsx")
    book = load_workbook(io.BytesIO(open(xlsx.path(), "rb").read()), read_only=True)  # noqa: SIM115
    assert words["sheet"] in book.sheetnames
    with page.expect_download() as got:
        page.click("#download-pdf")
    assert open(got.value.path(), "rb").read(4) == b"%PDF"  # noqa: SIM115
    assert errors == []  # no CSP violation, no script error
    context.close()
