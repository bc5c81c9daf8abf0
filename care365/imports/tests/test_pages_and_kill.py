"""The import pages through the test client, the audit chain after an import, the command's
exit codes, and an import whose process is killed (SIGKILL) midway, then resumed."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from care365.core.ledger import chain_verify
from care365.core.models import AuditEvent
from care365.imports import jobs
from care365.imports.models import ImportMapping, ImportRecord
from care365.imports.tests.helpers import CHILD_HEADER, child_id, child_row, run_import, write_csv
from care365.registry.models import Child
from conftest import Personas

BORN = date(2015, 3, 9)


@pytest.mark.django_db
def test_the_audit_chain_verifies_after_an_import(personas: Personas, tmp_path: Path) -> None:
    rows = [child_row(f"孩子{i}", "女", BORN, 100 + 2 * i) for i in range(5)]
    path = write_csv(tmp_path / "a.csv", CHILD_HEADER, rows)
    assert run_import("children", str(path), "--county", "331127")[0] == 0
    checked, broken = chain_verify(AuditEvent)
    assert broken is None and checked >= 5


@pytest.mark.django_db
def test_the_command_says_what_is_wrong_with_exit_code_2(
    personas: Personas, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", CHILD_HEADER, [child_row("甲", "女", BORN, 2)])
    for args in (
        ("children", str(tmp_path / "missing.csv"), "--county", "331127"),
        ("children", str(path), "--county", "999999"),
        ("template", "children"),
    ):
        with pytest.raises(CommandError) as caught:
            call_command("import", *args, stdout=io.StringIO())
        assert caught.value.returncode == 2


@pytest.mark.django_db
def test_the_plain_output_names_rows_codes_and_messages(personas: Personas, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv", CHILD_HEADER, [child_row("甲", "女", BORN, 2, 出生日期="x")]
    )
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("import", "children", str(path), "--county", "331127", stdout=out)
    assert exited.value.code == 1
    assert "row 2, birth_date: bad_date: 不是日期" in out.getvalue()  # LANGUAGE_CODE's language
    assert "甲" not in out.getvalue(), "no child's data in the output"


@pytest.mark.django_db
def test_a_clerk_maps_columns_on_the_page_and_downloads_the_report(
    personas: Personas, tmp_path: Path, client: Client
) -> None:
    header = ["学生", "男女", "生日", "证件", "居住村"]
    rows = [
        ["王小明", "男", "2015-03-09", child_id(BORN, 11), "东弄村"],
        ["王小红", "女", "2015-03-09", child_id(BORN, 11), "东弄村"],  # the same number
    ]
    path = write_csv(tmp_path / "odd.csv", header, rows)
    client.force_login(personas.director_a)
    with path.open("rb") as handle:
        response = client.post(
            reverse("imports:import-index"), {"kind": "children", "file": handle}
        )
    record = ImportRecord.objects.get()
    assert response.status_code == 302 and record.state == "mapping"
    detail = client.get(
        reverse("imports:import-detail", args=[record.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Match the columns" in detail.content.decode()
    response = client.post(
        reverse("imports:import-columns", args=[record.pk]),
        {"name": "0", "sex": "1", "birth_date": "2", "id_number": "3", "village": "4"},
    )
    assert response.status_code == 302
    assert ImportMapping.objects.get(county=personas.county, kind="children").headers
    assert jobs.imports_run_due("t") == 1
    url = reverse("imports:import-detail", args=[record.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 row has errors." in page and "The same as an earlier row of this file." in page
    assert "王小" not in page, "the report names rows, not children"
    response = client.get(
        reverse("imports:import-report", args=[record.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    sheet = book.active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == [*header, "Errors"]
    assert values[1][-1] is None and "earlier row" in values[2][-1]
    # Another user (even of the same county) finds nothing there.
    client.force_login(personas.admin)
    assert client.get(reverse("imports:import-detail", args=[record.pk])).status_code == 404
    assert client.get(reverse("imports:import-report", args=[record.pk])).status_code == 404


@pytest.mark.django_db
def test_an_upload_over_the_limit_is_refused_in_the_users_language(
    personas: Personas, client: Client, settings: Any
) -> None:
    client.force_login(personas.director_a)
    big = io.BytesIO(b"a" * (3 * 1024 * 1024))
    big.name = "big.csv"
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    response = client.post(reverse("imports:import-index"), {"kind": "children", "file": big})
    assert response.status_code == 413
    settings.IMPORT_MAX_BYTES = 50 * 1024 * 1024
    big.seek(0)
    response = client.post(reverse("imports:import-index"), {"kind": "children", "file": big})
    assert response.status_code == 400  # read, and refused as not a register
    # Other pages keep the small limit.
    response = client.post(reverse("imports:import-check", args=[1]), {"x": "a" * (3 << 20)})
    assert response.status_code == 413


@pytest.mark.django_db
def test_new_users_links_are_shown_to_the_importing_administrator(
    personas: Personas, tmp_path: Path, client: Client
) -> None:
    path = write_csv(
        tmp_path / "u.csv", ["用户名", "角色", "所辖区域"], [["zhuren2", "村儿童主任", "东弄村"]]
    )
    client.force_login(personas.admin)
    with path.open("rb") as handle:
        client.post(reverse("imports:import-index"), {"kind": "users", "file": handle})
    record = ImportRecord.objects.get()
    jobs.imports_run_due("t")
    client.post(reverse("imports:import-apply", args=[record.pk]), {"mode": "all"})
    jobs.imports_run_due("t")
    page = client.get(reverse("imports:import-detail", args=[record.pk])).content.decode()
    assert "zhuren2" in page and "/account/set-password/" in page
    # A director may not import users.
    client.force_login(personas.director_a)
    response = client.post(
        reverse("imports:import-index"), {"kind": "users", "file": io.BytesIO(b"x")}
    )
    assert response.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_an_import_killed_midway_resumes_with_exact_counts(
    personas: Personas, tmp_path: Path
) -> None:
    """A real `care365 import` process, killed with SIGKILL once it has committed a few chunks:
    the chunks before the kill are whole, the one it was in left nothing, and the same command
    run again finishes the rest."""
    total = 2000
    rows = [child_row(f"孩子{i}", "女", BORN, 2 * (i % 500)) for i in range(total)]
    for i, row in enumerate(rows):
        row[CHILD_HEADER.index("出生日期")] = str(date(2015, 1, 1 + i // 500))
        row[CHILD_HEADER.index("公民身份号码")] = child_id(
            date(2015, 1, 1 + i // 500), 2 * (i % 500)
        )
    path = write_csv(tmp_path / "kill.csv", CHILD_HEADER, rows)
    db = django_settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = dict(os.environ, DATABASE_URL=url, CARE365_IMPORT_CHUNK_ROWS="20", CARE365_DEMO="1")
    command = [sys.executable, "-m", "care365.cli", "import", "children", str(path)]
    command += ["--county", "331127", "--skip-bad-rows", "--json"]
    proc = subprocess.Popen(  # noqa: S603  # the project's own command, fixed arguments
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            record = ImportRecord.objects.filter(kind="children").first()
            if record is not None and record.chunks_done >= 3:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    record = ImportRecord.objects.get()
    assert record.state == "applying", "killed, it could not say so"
    done = record.rows_done
    assert 60 <= done < total, "stopped between the first chunks and the end"
    assert done % 20 == 0, "whole chunks only"
    assert Child.objects.filter(name__startswith="孩子").count() == record.created == done
    assert AuditEvent.objects.filter(action="child_import").count() == done
    code, result = run_import(*command[4:-1])
    assert code == 0 and result["errors"] == []
    record.refresh_from_db()
    assert (record.state, record.rows_done, record.created) == ("done", total, total)
    assert Child.objects.filter(name__startswith="孩子").count() == total
    assert AuditEvent.objects.filter(action="child_import").count() == total
    assert chain_verify(AuditEvent)[1] is None
