"""Importing children with `care365 import children`: every row error, idempotency, scope,
all-or-nothing and skip-bad-rows, resuming after a stop, GB18030 and the template."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from care365.care.models import RiskScore
from care365.core import crypto, maintenance
from care365.core.models import AuditEvent
from care365.imports import services
from care365.imports.models import ImportRecord
from care365.imports.tests.helpers import (
    CHILD_HEADER,
    child_id,
    child_row,
    run_import,
    write_csv,
    write_xlsx,
)
from care365.registry.models import Child, ChildStatus, DuplicateFlag, Guardian, Parent
from conftest import Personas

pytestmark = pytest.mark.django_db

BORN = date(2015, 3, 9)


def _codes(result: dict[str, Any]) -> set[tuple[int, str, str]]:
    return {(e["row"], e["column"], e["code"]) for e in result["errors"]}


def test_a_clean_file_is_imported_with_parents_guardian_and_status(
    personas: Personas, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path / "roster.xlsx",
        CHILD_HEADER,
        [child_row("王小明", "男", BORN, 11), child_row("王小红", "女", BORN, 12)],
        title="东弄村农村留守儿童花名册",
    )
    code, result = run_import("children", str(path), "--county", "331127")
    assert code == 0
    assert result == {"rows": 2, "created": 2, "updated": 0, "errors": []}
    child = Child.objects.get(id_number_hash__isnull=False, name="王小明")
    assert child.village == personas.village_a
    assert child.id_number == child_id(BORN, 11)
    assert child.sex == "M" and child.birth_date == BORN
    assert child.open_statuses == 1
    assert ChildStatus.objects.filter(child=child, kind="left_behind", ended_on=None).exists()
    father = Parent.objects.get(child=child, role="father")
    assert (father.situation, father.work_place, father.phone) == ("away", "杭州", "13912345678")
    guardian = Guardian.objects.get(child=child)
    assert (guardian.relationship, guardian.phone) == ("grandmother", "05785081234")
    assert guardian.phone_hash
    record = ImportRecord.objects.get()
    event = AuditEvent.objects.get(action="child_import", object_id=child.pk)
    assert event.note == f"import #{record.pk}"


def test_importing_again_updates_and_never_duplicates(personas: Personas, tmp_path: Path) -> None:
    rows = [child_row("王小明", "男", BORN, 11), child_row("王小红", "女", BORN, 12)]
    path = write_csv(tmp_path / "a.csv", CHILD_HEADER, rows)
    assert run_import("children", str(path), "--county", "331127")[1]["created"] == 2
    rows[0][CHILD_HEADER.index("家庭住址")] = "东弄村99号"
    path = write_csv(tmp_path / "b.csv", CHILD_HEADER, rows)
    code, result = run_import("children", str(path), "--county", "331127")
    assert code == 0
    assert (result["rows"], result["created"], result["updated"]) == (2, 0, 2)
    assert Child.objects.filter(name__in=["王小明", "王小红"]).count() == 2
    assert Child.objects.get(name="王小明").address == "东弄村99号"
    assert ChildStatus.objects.filter(child__name="王小明").count() == 1
    assert Parent.objects.filter(child__name="王小明").count() == 1
    changes = AuditEvent.objects.filter(action="child_import").order_by("seq").last()
    assert changes is not None and changes.changes == ["address"]


def test_a_child_the_file_puts_in_another_village_takes_their_risk_score_along(
    personas: Personas, tmp_path: Path
) -> None:
    """The risk list reads the score's own copy of the child's village: an import that moves a
    child moves that copy in its transaction, as a move by hand does."""
    row = child_row("王小明", "男", BORN, 11)
    path = write_csv(tmp_path / "a.csv", CHILD_HEADER, [row])
    assert run_import("children", str(path), "--county", "331127")[1]["created"] == 1
    child = Child.objects.get(name="王小明")
    RiskScore.objects.create(
        child=child, village=child.village, score=40, on_list=True, computed_on=BORN
    )
    moved = child_row("王小明", "男", BORN, 11, village=personas.village_b.name)
    path = write_csv(tmp_path / "b.csv", CHILD_HEADER, [moved])
    assert run_import("children", str(path), "--county", "331127")[1]["updated"] == 1
    child.refresh_from_db()
    assert child.village == personas.village_b
    assert RiskScore.objects.get(child=child).village == personas.village_b


def test_every_row_error_has_its_code(personas: Personas, tmp_path: Path) -> None:
    good = child_id(BORN, 21)
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    no_region = idnumber_with_region("999999")
    rows = [
        child_row("甲", "女", BORN, 22, 公民身份号码=bad_check),
        child_row("乙", "女", BORN, 24, 公民身份号码=no_region),
        child_row("丙", "女", date(2015, 3, 10), 26, 出生日期="2015-03-11"),
        child_row("丁", "男", BORN, 28),  # even sequence: a girl's number
        child_row("戊", "女", BORN, 30, **{"所在村（社区）": "不存在村"}),
        child_row("己", "女", BORN, 32, 出生日期="2015-02-30"),
        child_row("庚", "女", BORN, 34, 姓名=""),
        child_row("辛", "女", BORN, 36),
        child_row("辛", "女", BORN, 36),
        child_row("壬", "女", BORN, 38, 委托监护人联系电话="12345"),
        child_row("癸", "女", BORN, 40, 民族="火星族"),
    ]
    path = write_csv(tmp_path / "bad.csv", CHILD_HEADER, rows)
    code, result = run_import("children", str(path), "--county", "331127", "--dry-run")
    assert code == 1
    assert result["rows"] == 11 and result["created"] == 0
    assert _codes(result) == {
        (2, "id_number", "id_checksum"),
        (3, "id_number", "id_checksum"),
        (4, "birth_date", "id_mismatch"),
        (5, "sex", "id_mismatch"),
        (6, "village", "unknown_village"),
        (7, "birth_date", "bad_date"),
        (8, "name", "missing"),
        (10, "id_number", "duplicate_in_file"),
        (11, "guardian_phone", "bad_value"),
        (12, "ethnicity", "bad_value"),
    }
    assert not Child.objects.filter(name__in=["乙", "辛"]).exists()


def idnumber_with_region(region: str) -> str:
    return child_id(BORN, 44, region=region)


def test_a_child_registered_elsewhere_is_a_duplicate_without_saying_where(
    personas: Personas, tmp_path: Path
) -> None:
    other = personas.child_other  # registered in another county
    number = other.id_number
    born = other.birth_date
    sex = "男" if other.sex == "M" else "女"
    row = child_row("某某", sex, born, 0, 公民身份号码=number, 出生日期=born.isoformat())
    path = write_csv(tmp_path / "dup.csv", CHILD_HEADER, [row])
    code, result = run_import("children", str(path), "--county", "331127")
    assert code == 1
    assert _codes(result) == {(2, "id_number", "duplicate")}
    other.refresh_from_db()
    assert other.name != "某某"


def test_a_director_imports_only_into_their_own_village(personas: Personas, tmp_path: Path) -> None:
    b = personas.child_b  # in village B: the director of village A does not keep it
    sex = "男" if b.sex == "M" else "女"
    rows = [
        child_row("王小明", "男", BORN, 11),
        child_row("李四", "男", BORN, 13, **{"所在村（社区）": "大赤坑村"}),
        child_row(
            "某某", sex, b.birth_date, 0, 公民身份号码=b.id_number, 出生日期=str(b.birth_date)
        ),
    ]
    path = write_csv(tmp_path / "scope.csv", CHILD_HEADER, rows)
    code, result = run_import(
        "children", str(path), "--county", "331127", "--user", "director", "--skip-bad-rows"
    )
    assert code == 1
    assert _codes(result) == {
        (3, "village", "unknown_village"),
        (4, "id_number", "duplicate"),
    }
    assert result["created"] == 1
    # The same file by the county administrator: all three in scope (B's child updated).
    code, result = run_import("children", str(path), "--county", "331127", "--user", "admin")
    assert code == 0 and result["errors"] == []
    assert (result["created"], result["updated"]) == (1, 2)


def test_a_user_of_another_county_is_refused(personas: Personas, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", CHILD_HEADER, [child_row("王小明", "男", BORN, 11)])
    with pytest.raises(CommandError):
        call_command("import", "children", str(path), "--county", "331127", "--user", "other_admin")
    with pytest.raises(CommandError):
        call_command("import", "children", str(path), "--county", "331127", "--user", "police")


def test_all_or_nothing_writes_nothing_when_a_row_is_bad(
    personas: Personas, tmp_path: Path
) -> None:
    rows = [child_row("王小明", "男", BORN, 11), child_row("坏", "男", BORN, 13, 出生日期="昨天")]
    path = write_csv(tmp_path / "aon.csv", CHILD_HEADER, rows)
    code, result = run_import("children", str(path), "--county", "331127")
    assert code == 1
    assert result["created"] == 0 and _codes(result) == {(3, "birth_date", "bad_date")}
    assert not Child.objects.filter(name="王小明").exists()
    code, result = run_import("children", str(path), "--county", "331127", "--skip-bad-rows")
    assert code == 1 and result["created"] == 1
    assert Child.objects.filter(name="王小明").exists()


def test_gb18030_csv_is_read(personas: Personas, tmp_path: Path) -> None:
    rows = [child_row("欧阳娜娜", "女", BORN, 12)]
    path = write_csv(tmp_path / "gb.csv", CHILD_HEADER, rows, encoding="gb18030")
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")
    code, result = run_import("children", str(path), "--county", "331127")
    assert code == 0 and result["created"] == 1
    assert Child.objects.filter(name="欧阳娜娜").exists()


def test_header_variants_are_recognised(personas: Personas, tmp_path: Path) -> None:
    header = ["儿童姓名", "性别", "出生年月", "身份证号", "村(社区)"]
    rows = [["王小明", "男", "2015年3月", child_id(BORN, 11), "东弄村"]]
    path = write_csv(tmp_path / "v.csv", header, rows)
    code, result = run_import("children", str(path), "--county", "331127")
    assert code == 0 and result["created"] == 1
    assert Child.objects.get(name="王小明").birth_date == BORN


def test_another_layout_is_mapped_once_and_remembered(personas: Personas, tmp_path: Path) -> None:
    header = ["学生", "男女", "生日", "证件", "居住村"]
    rows = [["王小明", "男", "2015-03-09", child_id(BORN, 11), "东弄村"]]
    path = write_csv(tmp_path / "odd.csv", header, rows)
    with pytest.raises(CommandError):
        call_command("import", "children", str(path), "--county", "331127", "--json")
    mapping = tmp_path / "map.json"
    given = {"姓名": "学生", "性别": "男女", "出生日期": "生日", "公民身份号码": "证件"}
    mapping.write_text(json.dumps({**given, "village": "居住村"}), encoding="utf-8")
    code, result = run_import(
        "children", str(path), "--county", "331127", "--mapping", str(mapping)
    )
    assert code == 0 and result["created"] == 1
    rows = [["王小红", "女", "2015-03-09", child_id(BORN, 12), "东弄村"]]
    path = write_csv(tmp_path / "odd2.csv", header, rows)
    code, result = run_import("children", str(path), "--county", "331127")
    assert code == 0 and result["created"] == 1


class StopError(Exception):
    pass


def test_an_import_stopped_between_chunks_resumes_where_it_stopped(
    personas: Personas, tmp_path: Path, settings: Any
) -> None:
    settings.IMPORT_CHUNK_ROWS = 3
    rows = [child_row(f"孩子{i}", "女", BORN, 100 + 2 * i) for i in range(10)]
    path = write_csv(tmp_path / "big.csv", CHILD_HEADER, rows)
    record = services.import_start(
        actor=None, kind="children", county=personas.county, path=path, file_name="big.csv",
        source=ImportRecord.Source.COMMAND,
    )  # fmt: skip

    def stop_after_two(record: ImportRecord) -> None:
        if record.chunks_done == 2:
            raise StopError

    with pytest.raises(StopError):
        services.import_apply(record, path, after_chunk=stop_after_two)
    record.refresh_from_db()
    assert (record.state, record.chunks_done, record.rows_done) == ("applying", 2, 6)
    assert record.resume_after_row == 7  # the header is row 1
    assert Child.objects.filter(name__startswith="孩子").count() == 6
    # The same command again resumes it.
    code, _result = run_import("children", str(path), "--county", "331127")
    assert code == 0
    record.refresh_from_db()
    assert record.state == "done" and record.rows_done == 10
    assert (record.created, record.updated) == (10, 0)
    assert Child.objects.filter(name__startswith="孩子").count() == 10
    assert (
        AuditEvent.objects.filter(action="child_import", note=f"import #{record.pk}").count() == 10
    )


def test_a_chunk_that_fails_leaves_nothing_half_written(
    personas: Personas, tmp_path: Path, settings: Any, monkeypatch: Any
) -> None:
    settings.IMPORT_CHUNK_ROWS = 2
    rows = [child_row(f"孩子{i}", "女", BORN, 100 + 2 * i) for i in range(4)]
    path = write_csv(tmp_path / "f.csv", CHILD_HEADER, rows)
    record = services.import_start(
        actor=None, kind="children", county=personas.county, path=path, file_name="f.csv",
        source=ImportRecord.Source.COMMAND, mode="skip",
    )  # fmt: skip
    from care365.registry.imports import ChildImporter

    real = ChildImporter._flag_duplicates
    calls = {"n": 0}

    def fail_second(self: Any, created: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise StopError  # after the children and their parents of chunk 2 were written
        real(self, created)

    monkeypatch.setattr(ChildImporter, "_flag_duplicates", fail_second)
    with pytest.raises(StopError):
        services.import_apply(record, path)
    assert Child.objects.filter(name__startswith="孩子").count() == 2
    assert Parent.objects.filter(child__name__startswith="孩子").count() == 2
    record.refresh_from_db()
    assert record.rows_done == 2 and record.created == 2
    monkeypatch.undo()
    record = services.import_apply(record, path)
    assert record.state == "done" and record.created == 4
    assert Child.objects.filter(name__startswith="孩子").count() == 4


def test_possible_duplicates_are_flagged_by_name_birth_date_and_village_together(
    personas: Personas, tmp_path: Path
) -> None:
    registered = personas.child_a
    born = registered.birth_date
    sex = "男" if registered.sex == "M" else "女"
    seq = 500 + (registered.sex == "M")  # an ID number of the registered child's sex
    rows = [
        # The registered child's name, birth date and village under another ID number.
        child_row(registered.name, sex, born, seq),
        # The same name and birth date in another village of the county: not a duplicate.
        child_row(registered.name, sex, born, seq + 2, village="大赤坑村"),
        # Twins of a sort: two rows of the file alike but for the ID number.
        child_row("李同名", "女", BORN, 600),
        child_row("李同名", "女", BORN, 602),
        # A name of one and the birth date of another: the three must agree together.
        child_row("李同名", sex, born, seq + 4),
    ]
    path = write_csv(tmp_path / "dups.csv", CHILD_HEADER, rows)
    code, result = run_import("children", str(path), "--county", "331127")
    assert code == 0 and result["created"] == 5

    def new_child(seq_: int, born_: date = born) -> int:
        return Child.objects.get(id_number_hash=crypto.lookup_hash(child_id(born_, seq_))).pk

    flagged = set(DuplicateFlag.objects.values_list("child_id", "other_id"))
    twins = {new_child(600, BORN), new_child(602, BORN)}
    assert flagged == {
        (new_child(seq), registered.pk),
        *((a, b) for a in twins for b in twins if a != b),
    }


def test_a_child_registered_between_the_check_and_the_apply_stops_the_import_there(
    personas: Personas, tmp_path: Path, settings: Any, monkeypatch: Any
) -> None:
    """All or nothing checks the whole file, then applies the chunks the check kept: each
    chunk's ID numbers are looked up again as it is applied."""
    settings.IMPORT_CHUNK_ROWS = 2
    rows = [child_row(f"孩子{i}", "女", BORN, 100 + 2 * i) for i in range(4)]
    path = write_csv(tmp_path / "f.csv", CHILD_HEADER, rows)
    record = services.import_start(
        actor=None, kind="children", county=personas.county, path=path, file_name="f.csv",
        source=ImportRecord.Source.COMMAND,
    )  # fmt: skip
    real_check = services.import_check
    other = personas.child_other  # a child of another county

    def check_then_register(*args: Any, **kwargs: Any) -> ImportRecord:
        checked = real_check(*args, **kwargs)
        # Meanwhile the third row's child is registered in the other county.
        Child.objects.filter(pk=other.pk).update(
            id_number=child_id(BORN, 104),
            id_number_hash=crypto.lookup_hash(child_id(BORN, 104)),
        )
        return checked

    monkeypatch.setattr(services, "import_check", check_then_register)
    record = services.import_apply(record, path)
    assert record.state == "refused"
    assert (record.rows_done, record.created) == (2, 2)  # the first chunk, applied
    assert set(record.errors.values_list("phase", "row", "code")) == {("apply", 4, "duplicate")}
    assert Child.objects.filter(name__startswith="孩子").count() == 2


def test_a_long_import_refreshes_its_tables_statistics_as_they_grow(
    personas: Personas, tmp_path: Path, settings: Any, monkeypatch: Any
) -> None:
    """Planned on the statistics of an emptier table, the look-ups of the rows an import has
    written scan the whole table: it ANALYZEs the tables it writes as they double."""
    settings.IMPORT_CHUNK_ROWS = 2
    monkeypatch.setattr(services, "ANALYZE_FIRST", 3)
    analysed: list[list[str]] = []
    real = maintenance.tables_analyze

    def spy(models: Any) -> None:
        analysed.append([m._meta.model_name for m in models])
        real(models)  # ANALYZE runs on the test's database

    monkeypatch.setattr(services, "tables_analyze", spy)
    rows = [child_row(f"孩子{i}", "女", BORN, 100 + 2 * i) for i in range(10)]
    code, result = run_import(
        "children", str(write_csv(tmp_path / "f.csv", CHILD_HEADER, rows)), "--county", "331127"
    )
    assert code == 0 and result["created"] == 10
    # 4 rows written (>= 3), then 6 (>= 6); the next at 12 never comes.
    assert analysed == [["child", "childstatus", "parent", "guardian"]] * 2


def test_the_template_is_recognised_and_has_drop_downs(personas: Personas, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "t.xlsx"
    call_command("import", "template", "children", "--out", str(out))
    book = load_workbook(out)
    sheet = book["儿童花名册"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["姓名", "性别", "出生日期"]
    assert sheet.data_validations.dataValidation, "coded columns have drop-down lists"
    assert book["选项"].sheet_state == "hidden"
    # Its example row imports (the example's village is the personas' village A).
    code, result = run_import("children", str(out), "--county", "331127", "--dry-run")
    assert result["errors"] == [] and result["rows"] == 1, result
    assert code == 0
