"""Importing carers and users; the new users' one-time links; the worker running a page's
import."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from care365.accounts.imports import set_password_link
from care365.accounts.models import User
from care365.carers.models import Carer, Organisation
from care365.core.logs import redact
from care365.imports import jobs, services
from care365.imports.models import ImportRecord
from care365.imports.tests.helpers import CHILD_HEADER, child_row, run_import, write_csv
from care365.registry.models import Child
from conftest import Personas

pytestmark = pytest.mark.django_db

CARER_HEADER = [
    "姓名", "性别", "人员类别", "联系电话", "所属单位", "单位类型", "服务区域", "可结对儿童数",
    "特长",
]  # fmt: skip
USER_HEADER = ["用户名", "姓名", "角色", "所辖区域", "结对人员电话"]


def test_carers_are_imported_once_with_a_new_organisation(
    personas: Personas, tmp_path: Path
) -> None:
    rows = [
        ["李警官", "男", "民警", "13800000001", "鹤溪派出所", "派出所", "东弄村、鹤溪街道", "30",
         "急救、安全"],
        ["王医生", "女", "医生", "13800000002", "鹤溪卫生院", "卫生院", "东弄村", "40", ""],
        ["坏人", "男", "民警", "123", "鹤溪派出所", "", "火星村", "0", "飞行"],
    ]  # fmt: skip
    path = write_csv(tmp_path / "carers.csv", CARER_HEADER, rows)
    code, result = run_import("carers", str(path), "--county", "331127", "--dry-run")
    assert code == 1
    assert {(e["row"], e["column"], e["code"]) for e in result["errors"]} == {
        (4, "phone", "bad_value"),
        (4, "service_areas", "unknown_village"),
        (4, "capacity", "bad_value"),
        (4, "skills", "bad_value"),
    }  # its organisation, added by row 2 (which names its kind), is no error
    code, result = run_import("carers", str(path), "--county", "331127", "--skip-bad-rows")
    assert result["created"] == 2
    officer = Carer.objects.get(name="李警官")
    assert officer.organisation.kind == "station" and officer.capacity == 30
    assert officer.skills == ["first_aid", "safety"]
    assert set(officer.service_areas.all()) == {personas.village_a, personas.township_a}
    assert Organisation.objects.filter(name="鹤溪派出所").count() == 1
    rows[0][7] = "35"
    path = write_csv(tmp_path / "carers2.csv", CARER_HEADER, rows[:2])
    code, result = run_import("carers", str(path), "--county", "331127")
    assert code == 0 and (result["created"], result["updated"]) == (0, 2)
    officer.refresh_from_db()
    assert officer.capacity == 35
    assert Carer.objects.filter(name="李警官").count() == 1


def test_users_are_imported_and_set_their_password_once_through_their_link(
    personas: Personas, tmp_path: Path, client: Client
) -> None:
    officer_carer = personas.officer.carer
    assert officer_carer is not None
    carer = Carer.objects.create(
        role="police", name="新警官", sex="M", phone="13800000009",
        organisation=officer_carer.organisation, latitude=28.0, longitude=119.6, capacity=10,
    )  # fmt: skip
    rows = [
        ["new_director", "王丽", "村儿童主任", "东弄村", ""],
        ["new_police", "", "民警", "", "13800000009"],
        ["director", "", "乡镇儿童督导员", "鹤溪街道", ""],  # an existing user: updated
        ["bad", "", "村儿童主任", "鹤溪街道", ""],  # a township is not a village
    ]
    path = write_csv(tmp_path / "users.csv", USER_HEADER, rows)
    links = tmp_path / "links.csv"
    code, result = run_import(
        "users", str(path), "--county", "331127", "--skip-bad-rows", "--links", str(links)
    )
    assert code == 1
    assert [(e["row"], e["column"], e["code"]) for e in result["errors"]] == [
        (5, "area", "unknown_village")
    ]
    assert (result["created"], result["updated"]) == (2, 1)
    new = User.objects.get(username="new_director")
    assert new.area == personas.village_a and new.role == "director"
    assert not new.has_usable_password()
    assert User.objects.get(username="new_police").carer == carer
    assert User.objects.get(username="director").role == "supervisor"
    assert oct(links.stat().st_mode & 0o777) == "0o600"
    lines = dict(line.split(",") for line in links.read_text().splitlines())
    assert set(lines) == {"new_director", "new_police"}
    link = lines["new_director"]
    assert link.split("/")[3] == set_password_link(new).split("/")[3]  # the user's id
    assert "[redacted]" in redact(f"GET {link} HTTP/1.1") and link.split("/")[4] not in redact(link)

    response = client.get(link)  # the token moves into the session
    assert response.status_code == 302
    form_url = response["Location"]
    assert "set-password" in form_url
    response = client.post(
        form_url, {"new_password1": "Gz7!q-lamp-river", "new_password2": "Gz7!q-lamp-river"}
    )
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.check_password("Gz7!q-lamp-river")
    client.cookies.clear()
    response = client.get(link, follow=True)
    assert b"no longer works" in response.content or "已失效" in response.content.decode()
    assert not response.context["validlink"]


def test_a_page_import_is_checked_and_applied_by_the_worker(
    personas: Personas, tmp_path: Path, settings: Any
) -> None:
    settings.IMPORT_CHUNK_ROWS = 2
    rows = [child_row(f"孩子{i}", "女", date(2015, 3, 9), 100 + 2 * i) for i in range(5)]
    path = write_csv(tmp_path / "w.csv", CHILD_HEADER, rows)
    record = services.import_start(
        actor=personas.director_a, kind="children", county=personas.county, path=path,
        file_name="w.csv", source=ImportRecord.Source.PAGE, keep_file=True,
    )  # fmt: skip
    services.import_queue(actor=personas.director_a, record=record, job="check")
    assert jobs.imports_run_due("test-worker") == 1
    record.refresh_from_db()
    assert (record.state, record.rows_total, record.job) == ("checked", 5, "")
    services.import_queue(actor=personas.director_a, record=record, job="apply", mode="all")
    # A worker that died holding it: its lease is still running, so nobody else takes it.
    claimed = jobs.import_job_claim("dead-worker")
    assert claimed is not None and jobs.import_job_claim("other") is None
    ImportRecord.objects.filter(pk=record.pk).update(lease_until=None)  # the lease ran out
    assert jobs.imports_run_due("test-worker") == 1
    record.refresh_from_db()
    assert (record.state, record.created, record.chunks_done) == ("done", 5, 3)
    assert Child.objects.filter(name__startswith="孩子", village=personas.village_a).count() == 5
    assert not record.chunks.exists(), "the stored file is gone once applied without errors"
