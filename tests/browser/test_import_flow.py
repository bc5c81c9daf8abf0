"""A clerk in a real Chromium: uploads a register with an error, reads the report, downloads the
rows with their error column, fixes the row in that file, uploads it again, applies it and
watches the progress bar reach 100%. A worker runs the checks and the apply in a thread beside
the live server, as `care365 worker` would."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from openpyxl import load_workbook

from care365.imports.jobs import imports_run_due
from care365.imports.tests.helpers import CHILD_HEADER, child_id, child_row, write_csv
from conftest import Personas

pytestmark = pytest.mark.browser

BORN = date(2015, 3, 9)


@pytest.fixture
def worker(transactional_db: None) -> Iterator[None]:
    stop = threading.Event()

    def loop() -> None:
        try:
            while not stop.is_set():
                imports_run_due("browser-test-worker")
                stop.wait(0.2)
        finally:
            connection.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)


@pytest.fixture
def register(personas: Personas, tmp_path: Path, settings: Any) -> dict[str, Any]:
    """Twelve children of village A, the fifth with a wrong check character."""
    settings.IMPORT_CHUNK_ROWS = 3
    rows = [child_row(f"导入儿童{i}", "女", BORN, 200 + 2 * i) for i in range(12)]
    good = child_id(BORN, 208)
    rows[4][CHILD_HEADER.index("公民身份号码")] = good[:17] + ("1" if good[17] != "1" else "2")
    return {
        "file": write_csv(tmp_path / "东弄村花名册.csv", CHILD_HEADER, rows),
        "good_id": good,
        "password": personas.password,
        "dir": tmp_path,
    }


# What the walk reads and clicks, in each language.
WORDS = {
    "en-GB": {
        "sign_in": "Sign in",
        "imports": "Imports",
        "upload": "Upload and check",
        "one_error": "1 row has errors.",
        "id_column": "Resident ID number",
        "check_digit": "The last character does not match",
        "errors": "Errors",
        "all_imports": "All imports",
        "no_errors": "No row has errors.",
        "all_or_nothing": "All or nothing",
        "apply": "Apply",
        "applied": "Applied",
        "children": "Children",
    },
    "zh-CN": {
        "sign_in": "登录",
        "imports": "导入",
        "upload": "上传并检查",
        "one_error": "1 行有错误。",
        "id_column": "居民身份证号码",
        "check_digit": "最后一位校验码不符",
        "errors": "错误",
        "all_imports": "全部导入记录",
        "no_errors": "没有错误行。",
        "all_or_nothing": "全部导入或全不导入",
        "apply": "导入",
        "applied": "已导入",
        "children": "儿童",
    },
}


@pytest.mark.parametrize(
    ("locale", "viewport", "username"),
    [
        # The village director on a phone, in English; the county's clerk on a desktop, in
        # Chinese.
        ("en-GB", {"width": 390, "height": 900}, "director"),
        ("zh-CN", {"width": 1366, "height": 900}, "admin"),
    ],
)
def test_clerk_fixes_the_reported_row_and_applies_the_register(
    live_server: Any,
    worker: None,
    register: dict[str, Any],
    chromium: Any,
    locale: str,
    viewport: dict[str, int],
    username: str,
) -> None:
    words = WORDS[locale]
    context = chromium.new_context(locale=locale, viewport=viewport, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", register["password"])
    page.get_by_role("button", name=words["sign_in"], exact=True).click()
    page.wait_for_url(f"{live_server.url}/")

    page.get_by_role("link", name=words["imports"], exact=True).first.click()
    page.set_input_files("#id_file", str(register["file"]))
    page.get_by_role("button", name=words["upload"]).click()
    page.wait_for_selector("#summary")
    assert words["one_error"] in page.locator("#summary").inner_text()
    errors = page.locator("#errors").inner_text()
    assert "6" in errors and words["id_column"] in errors
    assert words["check_digit"] in errors

    with page.expect_download() as info:
        page.locator("#report").click()
    report = register["dir"] / "report.xlsx"
    info.value.save_as(report)
    book = load_workbook(report)
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header[-1] == words["errors"]
    id_col = header.index("公民身份号码") + 1
    bad = [r for r in range(2, sheet.max_row + 1) if sheet.cell(r, len(header)).value]
    assert bad == [6]
    assert words["check_digit"] in sheet.cell(6, len(header)).value
    sheet.cell(6, id_col).value = register["good_id"]
    fixed = register["dir"] / "fixed.xlsx"
    book.save(fixed)

    page.get_by_role("link", name=words["all_imports"]).click()
    page.set_input_files("#id_file", str(fixed))
    page.get_by_role("button", name=words["upload"]).click()
    page.wait_for_selector("#summary")
    assert page.locator("#summary").inner_text() == words["no_errors"]
    page.get_by_label(words["all_or_nothing"]).check()
    page.get_by_role("button", name=words["apply"], exact=True).click()
    page.wait_for_selector("#progress")
    for _ in range(300):
        if page.locator("#state").inner_text() == words["applied"]:
            break
        page.wait_for_timeout(100)
    assert page.locator("#state").inner_text() == words["applied"]
    assert page.locator("#progress progress").get_attribute("value") == "100"
    assert page.locator("#created").inner_text() == "12"
    page.screenshot(path=str(register["dir"] / "done.png"))

    page.get_by_role("link", name=words["children"], exact=True).first.click()
    assert "导入儿童4" in page.locator("main").inner_text()
    context.close()
